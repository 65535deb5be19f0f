using StreamingPipeline.Protocol;

namespace StreamingPipeline.Broker.Groups;

/// <summary>The answer to a SyncGroup call: the member's assignment, or why there is none.</summary>
public sealed record SyncGroupResult(ErrorCode Error, string? ProtocolType, string? ProtocolName, ReadOnlyMemory<byte> Assignment)
{
    /// <summary>A result carrying only an error.</summary>
    public static SyncGroupResult Failure(ErrorCode error) => new(error, null, null, ReadOnlyMemory<byte>.Empty);
}
