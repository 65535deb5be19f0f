using StreamingPipeline.Broker.Groups;
using StreamingPipeline.Protocol;

namespace StreamingPipeline.Broker.Apis;

/// <summary>
/// What OffsetCommit and TxnOffsetCommit share, as Kafka's handlers do: offsets for a topic or partition that does not
/// exist are answered UNKNOWN_TOPIC_OR_PARTITION and never reach the group coordinator.
/// </summary>
internal static class CommittedPartitionCheck
{
    /// <summary>
    /// Commits the offsets of existing partitions through <paramref name="commit"/> (not called when there are none)
    /// and answers the others UNKNOWN_TOPIC_OR_PARTITION, in request order.
    /// </summary>
    public static async Task<IReadOnlyList<OffsetCommitPartitionResult>> CommitExistingAsync(
        BrokerState broker,
        IReadOnlyList<OffsetCommitPartition> offsets,
        Func<IReadOnlyList<OffsetCommitPartition>, Task<IReadOnlyList<OffsetCommitPartitionResult>>> commit)
    {
        var existing = offsets.Where(o => broker.Logs.GetPartition(o.Topic, o.Partition) is not null).ToList();
        if (existing.Count == offsets.Count)
        {
            return await commit(offsets);
        }
        var committed = existing.Count == 0 ? [] : await commit(existing);
        var byPartition = committed.GroupBy(r => (r.Topic, r.Partition)).ToDictionary(g => g.Key, g => g.First().Error);
        return offsets
            .Select(o => new OffsetCommitPartitionResult(o.Topic, o.Partition, byPartition.GetValueOrDefault((o.Topic, o.Partition), ErrorCode.UnknownTopicOrPartition)))
            .ToList();
    }
}
