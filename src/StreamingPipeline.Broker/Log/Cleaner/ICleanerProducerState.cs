namespace StreamingPipeline.Broker.Log.Cleaner;

/// <summary>
/// What the log cleaner needs from a partition's producer state (implemented by its append guard): which batches must
/// survive so that idempotence survives, and which transactions were aborted.
/// </summary>
internal interface ICleanerProducerState
{
    /// <summary>
    /// Adds the last offset of every remembered producer's last batch to <paramref name="into"/>. Called under the
    /// partition's append lock.
    /// </summary>
    void CollectLastBatchOffsets(ICollection<long> into);

    /// <summary>
    /// Adds every aborted transaction whose marker is at or after <paramref name="fromOffset"/> and whose first record is
    /// before <paramref name="toOffset"/>, as (producer id, first offset, marker offset). Thread-safe.
    /// </summary>
    void CollectAbortedTransactions(long fromOffset, long toOffset, ICollection<(long ProducerId, long FirstOffset, long LastOffset)> into);

    /// <summary>
    /// Removes the aborted-transaction index entries whose ABORT marker is at one of <paramref name="markerOffsets"/>:
    /// the cleaner found no batch of those transactions left. Durable when it returns. Called under the partition's
    /// append lock.
    /// </summary>
    void RemoveAbortedTransactions(IReadOnlyCollection<long> markerOffsets);
}
