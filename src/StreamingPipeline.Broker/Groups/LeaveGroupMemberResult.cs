using StreamingPipeline.Protocol;

namespace StreamingPipeline.Broker.Groups;

/// <summary>Whether one member left.</summary>
public sealed record LeaveGroupMemberResult(string MemberId, string? GroupInstanceId, ErrorCode Error);
