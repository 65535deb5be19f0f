namespace StreamingPipeline.Observability.Inspection;

/// <summary>Where one partition's log starts and ends.</summary>
/// <param name="Partition">The partition number.</param>
/// <param name="StartOffset">The first offset still in the log (log start offset).</param>
/// <param name="EndOffset">The high watermark: the offset the next record appended gets.</param>
/// <param name="LastStableOffset">The end a read_committed reader sees: the first offset of the oldest open transaction, else the high watermark.</param>
public sealed record PartitionOffsets(int Partition, long StartOffset, long EndOffset, long LastStableOffset)
{
    /// <summary>Offsets in the log (records, transaction markers and aborted records included).</summary>
    public long Span => EndOffset - StartOffset;
}
