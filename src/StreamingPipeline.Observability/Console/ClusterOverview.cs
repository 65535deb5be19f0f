namespace StreamingPipeline.Observability.Console;

/// <summary>One look at the cluster for the pipeline page: every topic's end offsets and every group's lag.</summary>
/// <param name="TimeMs">When it was read (Unix milliseconds), so the page computes rates over the real interval.</param>
/// <param name="Topics">Every topic but the internal ones, by name.</param>
/// <param name="Groups">Every consumer group with committed offsets, by name.</param>
internal sealed record ClusterOverview(long TimeMs, IReadOnlyList<TopicEndOffsets> Topics, IReadOnlyList<GroupLag> Groups);

/// <summary>A topic's last stable offset per partition (what a read_committed consumer can reach) and their sum.</summary>
internal sealed record TopicEndOffsets(string Name, long End, IReadOnlyList<PartitionEndOffset> Partitions);

/// <summary>One partition's last stable offset.</summary>
internal sealed record PartitionEndOffset(int Partition, long End);

/// <summary>A consumer group's committed offsets against the last stable offsets, and the total lag.</summary>
internal sealed record GroupLag(string Group, string State, long Lag, IReadOnlyList<PartitionLag> Partitions);

/// <summary>One partition of a group: committed offset (-1 when none), last stable offset and the difference.</summary>
internal sealed record PartitionLag(string Topic, int Partition, long Committed, long End, long Lag);
