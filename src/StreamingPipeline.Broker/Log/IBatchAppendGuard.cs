namespace StreamingPipeline.Broker.Log;

/// <summary>
/// The seam where per-partition producer state (idempotence and transactions) plugs into <see cref="PartitionLog"/>.
/// Set it with <see cref="PartitionLog.AppendGuard"/>. Every call is made under the partition's append lock, so calls
/// never overlap for one partition and the guard sees appends in log order.
/// </summary>
/// <remarks>
/// An append runs: validate every batch (framing, CRC, size) → <see cref="Check"/> each batch in order → assign
/// offsets and timestamps → write → <see cref="OnAppended"/> each batch → publish the new log end offset (so state
/// the guard records in <see cref="OnAppended"/>, such as an open transaction's first offset, is in place before any
/// reader can see the batch). If a later batch of the same append is rejected, or the write fails, nothing is written
/// and <see cref="OnAppendRejected"/> lets a guard drop state it staged during <see cref="Check"/>.
/// A duplicate verdict is honoured only for a single-batch append (Kafka's Produce v3+ sends exactly one batch per
/// partition); in a multi-batch append it rejects the append with DUPLICATE_SEQUENCE_NUMBER.
/// </remarks>
public interface IBatchAppendGuard
{
    /// <summary>
    /// Decides about one batch before anything is written. <paramref name="baseOffset"/> is the offset the batch will
    /// get if the append goes ahead; the header still shows what the producer sent.
    /// </summary>
    AppendGuardVerdict Check(in RecordBatchHeader batch, long baseOffset, AppendOrigin origin);

    /// <summary>Called for each batch once it is written; the header shows the assigned offsets and final timestamps.</summary>
    void OnAppended(in RecordBatchHeader batch, AppendOrigin origin);

    /// <summary>Called when batches passed <see cref="Check"/> but the append was not written after all.</summary>
    void OnAppendRejected();
}
