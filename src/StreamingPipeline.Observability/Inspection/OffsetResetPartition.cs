namespace StreamingPipeline.Observability.Inspection;

/// <summary>One partition in a reset plan.</summary>
/// <param name="Topic">The topic.</param>
/// <param name="Partition">The partition number.</param>
/// <param name="CurrentOffset">The group's committed offset before the reset, or null when none was committed.</param>
/// <param name="NewOffset">The offset the reset commits.</param>
public sealed record OffsetResetPartition(string Topic, int Partition, long? CurrentOffset, long NewOffset);
