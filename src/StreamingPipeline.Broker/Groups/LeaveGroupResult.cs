using StreamingPipeline.Protocol;

namespace StreamingPipeline.Broker.Groups;

/// <summary>The answer to a LeaveGroup call: a group-level error (LeaveGroup v0–v2 report only this) and one result per member.</summary>
public sealed record LeaveGroupResult(ErrorCode Error, IReadOnlyList<LeaveGroupMemberResult> Members);
