namespace StreamingPipeline.Broker.Groups;

/// <summary>A SyncGroup call in plain values.</summary>
/// <param name="GroupId">The group.</param>
/// <param name="GenerationId">The generation the member got from JoinGroup.</param>
/// <param name="MemberId">The member's id.</param>
/// <param name="GroupInstanceId">The static member's instance id, or null.</param>
/// <param name="ProtocolType">The protocol type the member expects (SyncGroup v5+), or null to skip the check.</param>
/// <param name="ProtocolName">The protocol name the member expects (SyncGroup v5+), or null to skip the check.</param>
/// <param name="Assignments">The leader's assignments; empty for followers.</param>
public sealed record SyncGroupRequest(
    string GroupId,
    int GenerationId,
    string MemberId,
    string? GroupInstanceId,
    string? ProtocolType,
    string? ProtocolName,
    IReadOnlyList<SyncGroupAssignment> Assignments);
