using Microsoft.Extensions.Logging;

namespace StreamingPipeline.Broker.Log.Cleaner;

/// <summary>The log cleaner's log messages, generated so that nothing is formatted unless the level is enabled.</summary>
internal static partial class LogCleanerMessages
{
    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "Completing the swap of a cleaned segment interrupted by a crash: {Path}")]
    public static partial void CompletingSwap(ILogger logger, string path);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Information, Message = "Cleaned {Topic}-{Partition} up to offset {EndOffset}: {BytesRead} bytes read, {BytesWritten} written, {Segments} segments into {CleanedSegments}")]
    public static partial void Cleaned(ILogger logger, string topic, int partition, long endOffset, long bytesRead, long bytesWritten, int segments, int cleanedSegments);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Error, Message = "Cleaning {Topic}-{Partition} failed; it is retried on a later pass")]
    public static partial void CleaningFailed(ILogger logger, Exception exception, string topic, int partition);

    [LoggerMessage(EventId = 1105, Level = LogLevel.Error, Message = "A log cleaner round failed; the next round starts after the backoff")]
    public static partial void RoundFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Debug, Message = "The segments of {Topic}-{Partition} changed while it was cleaned; the cleaned copy is dropped")]
    public static partial void SegmentsChanged(ILogger logger, string topic, int partition);
}
