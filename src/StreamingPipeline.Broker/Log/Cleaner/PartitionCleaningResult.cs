namespace StreamingPipeline.Broker.Log.Cleaner;

/// <summary>The outcome of one cleaning pass over one partition.</summary>
/// <param name="Topic">The topic.</param>
/// <param name="Partition">The partition.</param>
/// <param name="Completed">False when the segments changed under the pass (retention, deletion) and nothing was swapped in.</param>
/// <param name="EndOffset">The new first dirty offset: the map covered the dirty records below it.</param>
/// <param name="BytesRead">Bytes of the segments rewritten.</param>
/// <param name="BytesWritten">Bytes of the cleaned segments that replaced them.</param>
/// <param name="SegmentsRead">Segments rewritten.</param>
/// <param name="SegmentsWritten">Cleaned segments written (consecutive small segments are merged).</param>
/// <param name="KeysInMap">Distinct keys the offset map held in this pass.</param>
/// <param name="RecordsRemoved">Records dropped (superseded, tombstones past delete.retention.ms, aborted, keyless).</param>
internal sealed record PartitionCleaningResult(
    string Topic,
    int Partition,
    bool Completed,
    long EndOffset,
    long BytesRead,
    long BytesWritten,
    int SegmentsRead,
    int SegmentsWritten,
    int KeysInMap,
    long RecordsRemoved);
