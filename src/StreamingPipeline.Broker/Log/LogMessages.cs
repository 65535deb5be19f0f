using Microsoft.Extensions.Logging;

namespace StreamingPipeline.Broker.Log;

/// <summary>The storage layer's log messages, generated so that nothing is formatted unless the level is enabled.</summary>
internal static partial class LogMessages
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning, Message = "Rebuilding the indexes of {SegmentPath}: missing or inconsistent with the data")]
    public static partial void RebuildingIndexes(ILogger logger, string segmentPath);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "Truncating {SegmentPath} from {FileSize} to {ValidSize} bytes: {Problem}")]
    public static partial void TruncatingSegment(ILogger logger, string segmentPath, long validSize, long fileSize, string problem);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Debug, Message = "Opened {Topic}-{Partition}: {SegmentCount} segments, offsets {LogStartOffset} to {LogEndOffset}")]
    public static partial void PartitionOpened(ILogger logger, string topic, int partition, int segmentCount, long logStartOffset, long logEndOffset);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Information, Message = "Rolled {Topic}-{Partition} to a new segment at offset {BaseOffset}")]
    public static partial void SegmentRolled(ILogger logger, string topic, int partition, long baseOffset);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Information, Message = "Deleted {Count} segments of {Topic}-{Partition} by retention; log start offset is now {LogStartOffset}")]
    public static partial void SegmentsDeleted(ILogger logger, int count, string topic, int partition, long logStartOffset);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Error, Message = "Writing to {Topic}-{Partition} failed")]
    public static partial void AppendFailed(ILogger logger, Exception exception, string topic, int partition);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Warning, Message = "Flushing {Path} failed")]
    public static partial void FlushFailed(ILogger logger, Exception exception, string path);

    [LoggerMessage(EventId = 1008, Level = LogLevel.Warning, Message = "Deleting files of {Path} failed")]
    public static partial void DeleteFailed(ILogger logger, Exception exception, string path);

    [LoggerMessage(EventId = 1009, Level = LogLevel.Warning, Message = "Removing {Path}: {Reason}")]
    public static partial void RemovingStrayFile(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Information, Message = "Created topic {Topic} ({TopicId}), partitions: {Partitions}")]
    public static partial void TopicCreated(ILogger logger, string topic, Guid topicId, int partitions);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Information, Message = "Deleted topic {Topic}")]
    public static partial void TopicDeleted(ILogger logger, string topic);

    [LoggerMessage(EventId = 1012, Level = LogLevel.Error, Message = "Log maintenance failed for {Topic}-{Partition}")]
    public static partial void MaintenanceFailed(ILogger logger, Exception exception, string topic, int partition);

    [LoggerMessage(EventId = 1050, Level = LogLevel.Information, Message = "Changed the config overrides of topic {Topic} to: {Overrides}")]
    public static partial void TopicConfigChanged(ILogger logger, string topic, string overrides);

    [LoggerMessage(EventId = 1051, Level = LogLevel.Information, Message = "Topic {Topic} now has {Partitions} partitions")]
    public static partial void PartitionsAdded(ILogger logger, string topic, int partitions);

    [LoggerMessage(EventId = 1052, Level = LogLevel.Information, Message = "Deleted records of {Topic}-{Partition} below offset {LogStartOffset}")]
    public static partial void RecordsDeleted(ILogger logger, string topic, int partition, long logStartOffset);
}
