using StreamingPipeline.Broker.Log;

namespace StreamingPipeline.Broker.Transactions;

/// <summary>
/// What producer state needs from one v2 record batch, copied out of its header (and, for a control batch, its
/// marker record) so it can cross an <c>await</c>, which the <see cref="RecordBatchHeader"/> ref struct cannot.
/// </summary>
internal readonly record struct ProducerBatch(
    long BaseOffset,
    int LastOffsetDelta,
    long ProducerId,
    short ProducerEpoch,
    int BaseSequence,
    int LastSequence,
    long MaxTimestamp,
    bool IsTransactional,
    bool IsControl,
    TransactionMarker? Marker)
{
    /// <summary>Offset of the batch's last record.</summary>
    public long LastOffset => BaseOffset + LastOffsetDelta;

    /// <summary>True when the batch was written by an idempotent or transactional producer.</summary>
    public bool HasProducerId => ProducerId >= 0;

    /// <summary>Reads a raw batch (at least its 61-byte header; a control batch whole, to read its marker).</summary>
    public static ProducerBatch Read(ReadOnlySpan<byte> batch)
    {
        var header = new RecordBatchHeader(batch);
        TransactionMarker? marker = null;
        if (header.IsControl && ControlBatch.TryReadMarker(batch, out var read))
        {
            marker = read;
        }
        return new ProducerBatch(
            header.BaseOffset,
            header.LastOffsetDelta,
            header.ProducerId,
            header.ProducerEpoch,
            header.BaseSequence,
            header.LastSequence,
            header.MaxTimestamp,
            header.IsTransactional,
            header.IsControl,
            marker);
    }

    /// <summary>The same batch once the log has assigned its base offset.</summary>
    public ProducerBatch WithBaseOffset(long baseOffset) => this with { BaseOffset = baseOffset };
}
