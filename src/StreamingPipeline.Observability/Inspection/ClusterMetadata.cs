using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace StreamingPipeline.Observability.Inspection;

/// <summary>
/// Topic metadata and partition offsets through the admin client. Metadata is always asked for every topic, never for
/// one by name: a request naming a topic may create it on a broker that auto-creates topics.
/// </summary>
internal sealed class ClusterMetadata(IAdminClient admin, KafkaConnection connection)
{
    public async Task<Metadata> AllTopicsAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await Task.Run(() => admin.GetMetadata(connection.RequestTimeout), cancellationToken);
        }
        catch (KafkaException ex)
        {
            throw Unreachable(ex);
        }
    }

    /// <summary>The topic's partition numbers in order, or <see cref="TopicNotFoundException"/>.</summary>
    public async Task<IReadOnlyList<int>> PartitionsOfAsync(string topic, CancellationToken cancellationToken)
    {
        var metadata = await AllTopicsAsync(cancellationToken);
        var found = metadata.Topics.SingleOrDefault(t => t.Topic == topic);
        if (found is null || found.Error.Code == ErrorCode.UnknownTopicOrPart)
        {
            throw new TopicNotFoundException($"topic {topic} does not exist.");
        }
        if (found.Error.IsError)
        {
            throw new InspectionException($"topic {topic}: {found.Error.Reason}");
        }
        return found.Partitions.Select(p => p.PartitionId).Order().ToList();
    }

    /// <summary>Start, end and last stable offsets of <paramref name="partitions"/>.</summary>
    public async Task<IReadOnlyList<(TopicPartition Partition, PartitionOffsets Offsets)>> OffsetsAsync(IReadOnlyList<TopicPartition> partitions, CancellationToken cancellationToken)
    {
        if (partitions.Count == 0)
        {
            return [];
        }
        var starts = ListAsync(partitions, OffsetSpec.Earliest(), IsolationLevel.ReadUncommitted, cancellationToken);
        var ends = ListAsync(partitions, OffsetSpec.Latest(), IsolationLevel.ReadUncommitted, cancellationToken);
        var stable = ListAsync(partitions, OffsetSpec.Latest(), IsolationLevel.ReadCommitted, cancellationToken);
        await Task.WhenAll(starts, ends, stable);
        return partitions.Select(p => (p, new PartitionOffsets(p.Partition.Value, starts.Result[p], ends.Result[p], stable.Result[p]))).ToList();
    }

    /// <summary>The offsets <paramref name="spec"/> names for each partition at <paramref name="isolation"/> (-1 where a timestamp matches no record).</summary>
    public async Task<Dictionary<TopicPartition, long>> ListAsync(IReadOnlyList<TopicPartition> partitions, OffsetSpec spec, IsolationLevel isolation, CancellationToken cancellationToken)
    {
        if (partitions.Count == 0)
        {
            return [];
        }
        try
        {
            var result = await admin.ListOffsetsAsync(
                partitions.Select(p => new TopicPartitionOffsetSpec { TopicPartition = p, OffsetSpec = spec }),
                new ListOffsetsOptions { IsolationLevel = isolation, RequestTimeout = connection.RequestTimeout }).WaitAsync(cancellationToken);
            return result.ResultInfos.ToDictionary(r => r.TopicPartitionOffsetError.TopicPartition, r => r.TopicPartitionOffsetError.Offset.Value);
        }
        catch (ListOffsetsException ex)
        {
            var failed = ex.Result.ResultInfos.Select(r => r.TopicPartitionOffsetError).FirstOrDefault(r => r.Error.IsError);
            throw new InspectionException(failed is null
                ? $"listing offsets failed: {ex.Error.Reason}"
                : $"listing offsets of {failed.Topic} partition {failed.Partition.Value} failed: {failed.Error.Reason}");
        }
        catch (KafkaException ex)
        {
            throw Unreachable(ex);
        }
    }

    public InspectionException Unreachable(KafkaException ex) =>
        new($"Kafka at {connection.BootstrapServers}: {ex.Error.Reason}", ex);
}
