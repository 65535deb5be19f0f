namespace StreamingPipeline.Observability.Inspection;

/// <summary>A consumer group described: state, members and its offsets and lag per partition.</summary>
/// <param name="GroupId">The group's id.</param>
/// <param name="State">Kafka's name of its state (see <see cref="ConsumerGroupSummary.State"/>).</param>
/// <param name="PartitionAssignor">The assignor its members agreed on (range, roundrobin, cooperative-sticky...), or empty.</param>
/// <param name="Members">Its members.</param>
/// <param name="Partitions">Each partition it has committed an offset on or has assigned, by topic and partition.</param>
public sealed record ConsumerGroupDetails(
    string GroupId,
    string State,
    string PartitionAssignor,
    IReadOnlyList<ConsumerGroupMember> Members,
    IReadOnlyList<GroupPartitionLag> Partitions)
{
    /// <summary>The sum of the lag of every partition with a committed offset.</summary>
    public long TotalLag => Partitions.Sum(p => p.Lag ?? 0);
}
