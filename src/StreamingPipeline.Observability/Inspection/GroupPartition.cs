namespace StreamingPipeline.Observability.Inspection;

/// <summary>A topic partition.</summary>
/// <param name="Topic">The topic.</param>
/// <param name="Partition">The partition number.</param>
public sealed record GroupPartition(string Topic, int Partition);
