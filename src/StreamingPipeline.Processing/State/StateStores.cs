namespace StreamingPipeline.Processing.State;

/// <summary>Opens the store a <see cref="StateBackend"/> names.</summary>
public static class StateStores
{
    /// <summary>Opens (or creates) the store for one task; <paramref name="directory"/> is used by RocksDB only.</summary>
    public static IBucketStateStore Open(StateBackend backend, string directory) => backend switch
    {
        StateBackend.RocksDb => RocksDbBucketStateStore.Open(directory),
        StateBackend.Memory => new MemoryBucketStateStore(),
        _ => throw new ArgumentOutOfRangeException(nameof(backend), backend, "not a state backend"),
    };

    /// <summary>Parses <c>rocksdb</c> or <c>memory</c>.</summary>
    public static bool TryParse(string text, out StateBackend backend)
    {
        switch (text.ToLowerInvariant())
        {
            case "rocksdb":
                backend = StateBackend.RocksDb;
                return true;
            case "memory":
                backend = StateBackend.Memory;
                return true;
            default:
                backend = default;
                return false;
        }
    }
}
