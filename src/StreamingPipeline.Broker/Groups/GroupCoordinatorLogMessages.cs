using Microsoft.Extensions.Logging;

namespace StreamingPipeline.Broker.Groups;

/// <summary>The coordinator's log messages, generated so that nothing is formatted unless the level is enabled.</summary>
internal static partial class GroupCoordinatorLogMessages
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Group {GroupId} is preparing a rebalance from generation {GenerationId}: {Reason}.")]
    public static partial void PreparingRebalance(ILogger logger, string groupId, int generationId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Group {GroupId} started generation {GenerationId} with {MemberCount} members and protocol {ProtocolName}.")]
    public static partial void GenerationStarted(ILogger logger, string groupId, int generationId, int memberCount, string protocolName);

    [LoggerMessage(Level = LogLevel.Information, Message = "Group {GroupId} is stable in generation {GenerationId} with {MemberCount} members.")]
    public static partial void GroupStable(ILogger logger, string groupId, int generationId, int memberCount);

    [LoggerMessage(Level = LogLevel.Information, Message = "Group {GroupId} is empty in generation {GenerationId}.")]
    public static partial void GroupEmpty(ILogger logger, string groupId, int generationId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Member {MemberId} was removed from group {GroupId} because {Reason}.")]
    public static partial void MemberRemoved(ILogger logger, string groupId, string memberId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Group {GroupId} was removed because {Reason}.")]
    public static partial void GroupRemoved(ILogger logger, string groupId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Count} committed offsets of group {GroupId} expired.")]
    public static partial void OffsetsExpired(ILogger logger, string groupId, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dropped {DroppedBytes} bytes of torn or corrupt tail from {Path}; {ValidBytes} bytes of entries were recovered.")]
    public static partial void OffsetsLogTailTruncated(ILogger logger, string path, long droppedBytes, long validBytes);

    [LoggerMessage(Level = LogLevel.Information, Message = "Rewrote the offsets log with its latest values: {BytesBefore} bytes became {BytesAfter}.")]
    public static partial void OffsetsLogRewritten(ILogger logger, long bytesBefore, long bytesAfter);

    [LoggerMessage(Level = LogLevel.Error, Message = "Writing to the offsets log failed; the writes were not acknowledged.")]
    public static partial void OffsetsLogWriteFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Rewriting the offsets log failed; the old file stays in use.")]
    public static partial void OffsetsLogRewriteFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "An offsets log entry of type {EntryType} that nobody waits for was not written.")]
    public static partial void UnawaitedOffsetsLogWriteFailed(ILogger logger, string entryType, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "A background write for group {GroupId} failed.")]
    public static partial void BackgroundWriteFailed(ILogger logger, string groupId, Exception exception);
}
