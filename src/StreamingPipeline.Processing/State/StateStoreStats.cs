namespace StreamingPipeline.Processing.State;

/// <summary>Sizes of a store's committed state.</summary>
/// <param name="Keys">Keys held (exact).</param>
/// <param name="Buckets">Buckets holding at least one key.</param>
/// <param name="BytesOnDisk">Bytes of the store's files (0 for memory).</param>
/// <param name="MemoryBytes">Memtable bytes (RocksDB) or an estimate of the heap held (memory).</param>
public readonly record struct StateStoreStats(long Keys, int Buckets, long BytesOnDisk, long MemoryBytes)
{
    /// <summary>Bytes of the block cache in use (RocksDB's <c>rocksdb.block-cache-usage</c>; 0 for memory, which has none).</summary>
    public long BlockCacheBytes { get; init; }
}
