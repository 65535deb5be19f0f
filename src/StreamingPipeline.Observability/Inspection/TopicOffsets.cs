namespace StreamingPipeline.Observability.Inspection;

/// <summary>A topic's partitions with their start, end and last stable offsets.</summary>
/// <param name="Topic">The topic's name.</param>
/// <param name="Partitions">One entry per partition, by partition number.</param>
public sealed record TopicOffsets(string Topic, IReadOnlyList<PartitionOffsets> Partitions);
