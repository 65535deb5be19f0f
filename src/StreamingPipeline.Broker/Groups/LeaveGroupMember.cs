namespace StreamingPipeline.Broker.Groups;

/// <summary>A member leaving, by member id, or by instance id alone (empty member id) to remove a static member.</summary>
public sealed record LeaveGroupMember(string MemberId, string? GroupInstanceId);
