using StreamingPipeline.Protocol;

namespace StreamingPipeline.Broker.Log;

/// <summary>
/// The outcome of <see cref="PartitionLog.Append"/>: on success the offsets given to the first and last record, the
/// broker time stamped on the batches (-1 unless the topic uses LogAppendTime) and the log start offset, as a Produce
/// response reports them; on failure an error code and a message, with nothing written.
/// </summary>
internal readonly record struct LogAppendResult(
    ErrorCode Error,
    long BaseOffset,
    long LastOffset,
    long LogAppendTimeMs,
    long LogStartOffset,
    string? ErrorMessage)
{
    /// <summary>True when the records were written (or acknowledged as a duplicate).</summary>
    public bool Succeeded => Error == ErrorCode.None;

    internal static LogAppendResult Failure(ErrorCode error, string message, long logStartOffset) =>
        new(error, -1, -1, -1, logStartOffset, message);
}
