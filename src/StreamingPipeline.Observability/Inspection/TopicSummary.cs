namespace StreamingPipeline.Observability.Inspection;

/// <summary>A topic in a listing.</summary>
/// <param name="Name">The topic's name.</param>
/// <param name="Partitions">How many partitions it has.</param>
/// <param name="IsInternal">Whether it is one of Kafka's own topics (__consumer_offsets, __transaction_state).</param>
public sealed record TopicSummary(string Name, int Partitions, bool IsInternal);
