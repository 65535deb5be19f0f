namespace StreamingPipeline.Broker.Log;

/// <summary>
/// The seam where per-partition producer state (idempotence and transactions) plugs into <see cref="PartitionLog"/>.
/// Attach one with <see cref="PartitionLog.AttachAppendGuard"/>. Every call is made under the partition's append lock,
/// so calls never overlap for one partition and the guard sees appends in log order.
/// </summary>
/// <remarks>
/// An append runs: validate every batch (framing, CRC, size) → <see cref="Check"/> each batch in order → assign
/// offsets and timestamps → write → <see cref="OnAppended"/> each batch → publish the new log end offset →
/// <see cref="OnHighWatermarkAdvanced"/>, whose answer is published as the last stable offset (so the state the guard
/// recorded, such as an open transaction's first offset, is in place before any reader can see the batch). Once
/// <see cref="Check"/> has been called for an append, exactly one of two things follows: <see cref="OnAppended"/> for
/// every batch, or a single <see cref="OnAppendRejected"/> when nothing was written (a verdict other than Accept, or a
/// failed write), so a guard may stage state in <see cref="Check"/> for the following batches of the same append and
/// drop it there.
/// A duplicate verdict is honoured only for a single-batch append (Kafka's Produce v3+ sends exactly one batch per
/// partition); in a multi-batch append it rejects the append with DUPLICATE_SEQUENCE_NUMBER.
/// If <see cref="OnAppended"/> or <see cref="OnHighWatermarkAdvanced"/> throws an I/O error, the partition refuses
/// further appends (KAFKA_STORAGE_ERROR) until it is reopened and its state rebuilt from the log, as Kafka takes a
/// failed log directory offline.
/// </remarks>
internal interface IBatchAppendGuard
{
    /// <summary>
    /// Decides about one whole batch before anything is written. <paramref name="baseOffset"/> is the offset the batch
    /// will get if the append goes ahead; the bytes still show what the producer sent.
    /// </summary>
    AppendGuardVerdict Check(ReadOnlySpan<byte> batch, long baseOffset, in AppendContext context);

    /// <summary>Called for each whole batch once it is written; the bytes show the assigned offsets and final timestamps.</summary>
    void OnAppended(ReadOnlySpan<byte> batch, AppendOrigin origin);

    /// <summary>Called when batches passed <see cref="Check"/> but the append was not written after all.</summary>
    void OnAppendRejected();

    /// <summary>
    /// The high watermark moved to <paramref name="highWatermark"/> (on one node, the new log end offset). Returns the
    /// last stable offset to publish, which is never above the high watermark.
    /// </summary>
    long OnHighWatermarkAdvanced(long highWatermark);

    /// <summary>A new segment starts at the current log end offset: a good moment to checkpoint the guard's state.</summary>
    void OnSegmentRolled();

    /// <summary>Periodic housekeeping (after each retention run) with the log start offset retention left.</summary>
    void OnMaintenance(long logStartOffset);

    /// <summary>The log is closing; <paramref name="clean"/> is false when its files are about to be deleted.</summary>
    void OnClose(bool clean);
}
