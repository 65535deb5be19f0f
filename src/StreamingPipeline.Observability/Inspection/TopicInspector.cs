using Confluent.Kafka;

namespace StreamingPipeline.Observability.Inspection;

/// <summary>Lists topics and shows each partition's start, end and last stable offset. Never creates a topic.</summary>
public sealed class TopicInspector
{
    private readonly ClusterMetadata _metadata;

    internal TopicInspector(ClusterMetadata metadata) => _metadata = metadata;

    /// <summary>The topics by name; Kafka's internal ones (names starting with "__") only when <paramref name="includeInternal"/>.</summary>
    public async Task<IReadOnlyList<TopicSummary>> ListAsync(bool includeInternal = false, CancellationToken cancellationToken = default)
    {
        var metadata = await _metadata.AllTopicsAsync(cancellationToken);
        return metadata.Topics
            .Where(t => !t.Error.IsError)
            .Select(t => new TopicSummary(t.Topic, t.Partitions.Count, IsInternal(t.Topic)))
            .Where(t => includeInternal || !t.IsInternal)
            .OrderBy(t => t.Name, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Every partition of <paramref name="topic"/> with its offsets; <see cref="TopicNotFoundException"/> when it does not exist.</summary>
    public async Task<TopicOffsets> DescribeAsync(string topic, CancellationToken cancellationToken = default)
    {
        var partitions = await _metadata.PartitionsOfAsync(topic, cancellationToken);
        var offsets = await _metadata.OffsetsAsync(partitions.Select(p => new TopicPartition(topic, p)).ToList(), cancellationToken);
        return new TopicOffsets(topic, offsets.Select(o => o.Offsets).OrderBy(o => o.Partition).ToList());
    }

    /// <summary>Whether <paramref name="topic"/> is one of Kafka's own topics.</summary>
    public static bool IsInternal(string topic) => topic.StartsWith("__", StringComparison.Ordinal);
}
