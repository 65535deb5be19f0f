namespace StreamingPipeline.Observability.Inspection;

/// <summary>A reset's plan, and whether it was carried out or only shown (a dry run).</summary>
/// <param name="GroupId">The group.</param>
/// <param name="Executed">True when the new offsets were committed; false for a dry run.</param>
/// <param name="Partitions">The plan per partition.</param>
public sealed record OffsetResetPlan(string GroupId, bool Executed, IReadOnlyList<OffsetResetPartition> Partitions);
