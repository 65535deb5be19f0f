namespace StreamingPipeline.Jobs.Dedup;

/// <summary>
/// The state size <see cref="StateSizeModel"/> predicts for a <see cref="StateSizeInput"/>. Byte figures are totals
/// over all partitions unless named per partition; keys are counted at the peak (a full window plus a full bucket).
/// </summary>
public sealed record StateSizeEstimate
{
    /// <summary>What was sized.</summary>
    public required StateSizeInput Input { get; init; }

    /// <summary>Bytes of one state key in the input's key format (12 for the hash; 16 or 36 + userId for the exact ones).</summary>
    public required int KeyBytes { get; init; }

    /// <summary>Ids remembered per day: passed events, N·R·(1 − d).</summary>
    public required double RememberedPerDay { get; init; }

    /// <summary>Keys held just before a bucket expires: a full window plus a full bucket, rate·(W + S).</summary>
    public required long PeakKeys { get; init; }

    /// <summary>Keys held on average over a bucket's life: rate·(W + S/2).</summary>
    public required long MeanKeys { get; init; }

    /// <summary>RocksDB: <c>keys</c> column family data bytes per key (compacted, compressed).</summary>
    public required double KeysFamilyBytesPerKey { get; init; }

    /// <summary>RocksDB: <c>expiry</c> column family data bytes per key (compacted, compressed).</summary>
    public required double ExpiryFamilyBytesPerKey { get; init; }

    /// <summary>RocksDB: bloom filter plus index bytes per key (both column families).</summary>
    public required double IndexAndFilterBytesPerKey { get; init; }

    /// <summary>RocksDB: SST bytes per key once compacted: the three above.</summary>
    public double RocksDbBytesPerKey => KeysFamilyBytesPerKey + ExpiryFamilyBytesPerKey + IndexAndFilterBytesPerKey;

    /// <summary>RocksDB: <c>rocksdb.total-sst-files-size</c> at the peak, compacted (≈ live data).</summary>
    public required long LiveSstBytes { get; init; }

    /// <summary>RocksDB: SST bytes between compactions (obsolete versions, delete tombstones, overlapping levels).</summary>
    public required long UncompactedSstBytes { get; init; }

    /// <summary>RocksDB: write-ahead log bytes per partition kept at most under the store's settings.</summary>
    public required long WalBytesPerPartition { get; init; }

    /// <summary>RocksDB: the disk to provision: uncompacted SSTs, a compaction's transient output, memtables flushed, the WAL.</summary>
    public required long PeakDiskBytes { get; init; }

    /// <summary>RocksDB: memtables per partition at most (write buffers × their count, all column families).</summary>
    public required long MemtableBytesPerPartition { get; init; }

    /// <summary>RocksDB: the block cache per partition (the store's LRU cache).</summary>
    public required long BlockCacheBytesPerPartition { get; init; }

    /// <summary>RocksDB: index and filter blocks held by the table readers (outside the block cache), all partitions.</summary>
    public required long IndexAndFilterMemoryBytes { get; init; }

    /// <summary>RocksDB: resident memory, all partitions: memtables, block cache, index and filters.</summary>
    public long RocksDbMemoryBytes =>
        ((MemtableBytesPerPartition + BlockCacheBytesPerPartition) * Input.Partitions) + IndexAndFilterMemoryBytes;

    /// <summary>Memory backend: heap bytes per remembered key.</summary>
    public required double MemoryBytesPerKey { get; init; }

    /// <summary>Memory backend: heap bytes at the peak, all partitions.</summary>
    public required long MemoryBackendHeapBytes { get; init; }

    /// <summary>RocksDB settings suited to this size.</summary>
    public required IReadOnlyList<RecommendedSetting> RecommendedSettings { get; init; }

    /// <summary>One partition's share of a total that is spread over the partitions.</summary>
    public long PerPartition(long total) => (total + Input.Partitions - 1) / Input.Partitions;
}
