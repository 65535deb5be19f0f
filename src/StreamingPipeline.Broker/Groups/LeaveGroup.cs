using StreamingPipeline.Protocol;

namespace StreamingPipeline.Broker.Groups;

/// <summary>A member leaving, by member id, or by instance id alone (empty member id) to remove a static member.</summary>
public sealed record LeaveGroupMember(string MemberId, string? GroupInstanceId);

/// <summary>Whether one member left.</summary>
public sealed record LeaveGroupMemberResult(string MemberId, string? GroupInstanceId, ErrorCode Error);

/// <summary>The answer to a LeaveGroup call: a group-level error (LeaveGroup v0–v2 report only this) and one result per member.</summary>
public sealed record LeaveGroupResult(ErrorCode Error, IReadOnlyList<LeaveGroupMemberResult> Members);
