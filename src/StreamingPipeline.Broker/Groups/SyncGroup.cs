using StreamingPipeline.Protocol;

namespace StreamingPipeline.Broker.Groups;

/// <summary>A SyncGroup call in plain values.</summary>
/// <param name="GroupId">The group.</param>
/// <param name="GenerationId">The generation the member got from JoinGroup.</param>
/// <param name="MemberId">The member's id.</param>
/// <param name="GroupInstanceId">The static member's instance id, or null.</param>
/// <param name="ProtocolType">The protocol type the member expects (SyncGroup v5+), or null to skip the check.</param>
/// <param name="ProtocolName">The protocol name the member expects (SyncGroup v5+), or null to skip the check.</param>
/// <param name="Assignments">The leader's assignments; empty for followers.</param>
public sealed record SyncGroupCall(
    string GroupId,
    int GenerationId,
    string MemberId,
    string? GroupInstanceId,
    string? ProtocolType,
    string? ProtocolName,
    IReadOnlyList<SyncGroupAssignment> Assignments);

/// <summary>The leader's assignment for one member, opaque to the coordinator.</summary>
public sealed record SyncGroupAssignment(string MemberId, ReadOnlyMemory<byte> Assignment);

/// <summary>The answer to a SyncGroup call: the member's assignment, or why there is none.</summary>
public sealed record SyncGroupResult(ErrorCode Error, string? ProtocolType, string? ProtocolName, ReadOnlyMemory<byte> Assignment)
{
    /// <summary>A result carrying only an error.</summary>
    public static SyncGroupResult Failure(ErrorCode error) => new(error, null, null, ReadOnlyMemory<byte>.Empty);
}
