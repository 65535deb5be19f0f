namespace StreamingPipeline.Observability.Inspection;

/// <summary>One member of a consumer group and the partitions assigned to it.</summary>
/// <param name="MemberId">The member id the coordinator gave it.</param>
/// <param name="ClientId">The client.id of its consumer.</param>
/// <param name="Host">The host it connects from.</param>
/// <param name="GroupInstanceId">Its static membership id, or null.</param>
/// <param name="Assignment">Its partitions, by topic and partition.</param>
public sealed record ConsumerGroupMember(string MemberId, string ClientId, string Host, string? GroupInstanceId, IReadOnlyList<GroupPartition> Assignment);
