namespace StreamingPipeline.Broker.Log.Cleaner;

/// <summary>What one round of the cleaner did: one pass over each partition that was due.</summary>
/// <param name="Passes">One result per partition cleaned, in the order they were cleaned (dirtiest first).</param>
internal sealed record LogCleaningRound(IReadOnlyList<PartitionCleaningResult> Passes)
{
    /// <summary>Bytes of segments rewritten in the round.</summary>
    public long BytesRead => Passes.Sum(p => p.BytesRead);

    /// <summary>True when no partition was due.</summary>
    public bool Idle => Passes.Count == 0;
}
