namespace StreamingPipeline.Processing.State;

/// <summary>Opens the store a <see cref="StateBackend"/> names.</summary>
public static class StateStores
{
    /// <summary>
    /// Opens (or creates) the store for one task; <paramref name="directory"/> and <paramref name="keyLayout"/> (the
    /// name of the caller's key encoding, recorded with the state) are used by RocksDB only.
    /// </summary>
    public static IBucketStateStore Open(StateBackend backend, string directory, string? keyLayout = null) => backend switch
    {
        StateBackend.RocksDb => RocksDbBucketStateStore.Open(directory, keyLayout: keyLayout),
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
