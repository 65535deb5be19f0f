using StreamingPipeline.Processing.State;

namespace StreamingPipeline.Jobs.Tests.Dedup;

/// <summary>Opens stores of one backend in a private temp directory; each <see cref="Open"/> with a new name is a new, empty store.</summary>
public sealed class StoreHarness : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly List<IBucketStateStore> _open = [];
    private readonly Dictionary<IBucketStateStore, string> _names = [];

    public StoreHarness(string backend)
    {
        Backend = backend switch
        {
            "rocksdb" => StateBackend.RocksDb,
            "memory" => StateBackend.Memory,
            _ => throw new ArgumentOutOfRangeException(nameof(backend)),
        };
    }

    public StateBackend Backend { get; }

    public string PathOf(string name) => Path.Combine(_directory.Path, name);

    public IBucketStateStore Open(string name = "state")
    {
        var store = StateStores.Open(Backend, PathOf(name));
        _open.Add(store);
        _names[store] = name;
        return store;
    }

    /// <summary>Closes <paramref name="store"/> and opens its directory again (a restart).</summary>
    public IBucketStateStore Reopen(IBucketStateStore store)
    {
        store.Dispose();
        _open.Remove(store);
        return Open(_names[store]);
    }

    public void Dispose()
    {
        foreach (var store in _open)
        {
            store.Dispose();
        }
        _directory.Dispose();
    }
}
