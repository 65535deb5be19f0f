namespace StreamingPipeline.Broker.Groups;

/// <summary>A member of the new generation as the leader sees it, with its metadata for the selected protocol.</summary>
public sealed record JoinGroupMember(string MemberId, string? GroupInstanceId, ReadOnlyMemory<byte> Metadata);
