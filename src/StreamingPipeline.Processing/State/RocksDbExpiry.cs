namespace StreamingPipeline.Processing.State;

/// <summary>How the RocksDB backend removes expired buckets from disk.</summary>
public enum RocksDbExpiry
{
    /// <summary>A committed floor and a compaction filter: no per-key deletes; keys leave the disk as compaction passes (the default).</summary>
    CompactionFilter,

    /// <summary>An index of each bucket's keys: expiry deletes every key of the bucket and range-deletes its index.</summary>
    BucketIndex,
}
