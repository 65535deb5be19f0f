namespace StreamingPipeline.Observability.Inspection;

/// <summary>A consumer group in a listing.</summary>
/// <param name="GroupId">The group's id.</param>
/// <param name="State">Kafka's name of its state: Empty, Stable, PreparingRebalance, CompletingRebalance, Dead or Unknown.</param>
/// <param name="IsSimple">Whether it only commits offsets (no members ever joined, as with standalone commits).</param>
public sealed record ConsumerGroupSummary(string GroupId, string State, bool IsSimple);
