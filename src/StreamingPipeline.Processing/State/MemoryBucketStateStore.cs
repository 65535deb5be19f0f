namespace StreamingPipeline.Processing.State;

/// <summary>
/// The heap backend: key -> bucket in a dictionary plus each bucket's key list, so expiry walks only the expired
/// buckets. Nothing survives the process; a task using it rebuilds from its output at every start.
/// </summary>
public sealed class MemoryBucketStateStore : IBucketStateStore
{
    // Per entry beyond the key array: the dictionary entry (hash, next, key ref, value) and the bucket list's slot.
    private const int EntryOverheadBytes = 24 + 8;
    private const int ArrayHeaderBytes = 24;

    private readonly Dictionary<byte[], long> _buckets = new(ByteKeyComparer.Instance);
    private readonly Dictionary<byte[], long>.AlternateLookup<ReadOnlySpan<byte>> _lookup;
    private readonly SortedDictionary<long, List<byte[]>> _keysByBucket = [];
    private readonly StagedChanges _staged = new();
    private long _keyArrayBytes;

    /// <summary>Creates an empty store.</summary>
    public MemoryBucketStateStore()
    {
        _lookup = _buckets.GetAlternateLookup<ReadOnlySpan<byte>>();
    }

    /// <inheritdoc />
    public StateCheckpoint? Checkpoint { get; private set; }

    /// <inheritdoc />
    public bool TryGetBucket(ReadOnlySpan<byte> key, out long bucket) =>
        _staged.TryGet(key, out bucket) || _lookup.TryGetValue(key, out bucket);

    /// <inheritdoc />
    public void Put(ReadOnlySpan<byte> key, long bucket) => _staged.Put(key, bucket);

    /// <inheritdoc />
    public void ExpireBefore(long firstRetainedBucket) => _staged.Expire(firstRetainedBucket);

    /// <inheritdoc />
    public void Commit(StateCheckpoint checkpoint)
    {
        if (_staged.ExpireBefore is { } floor)
        {
            DropBucketsBelow(floor);
        }
        foreach (var (key, bucket) in _staged.LivePuts())
        {
            if (_buckets.TryGetValue(key, out var previous))
            {
                if (previous == bucket)
                {
                    continue;
                }
            }
            else
            {
                _keyArrayBytes += ArrayBytes(key);
            }
            // A key moved to a newer bucket leaves a stale entry in the old bucket's list; expiry skips it.
            _buckets[key] = bucket;
            if (!_keysByBucket.TryGetValue(bucket, out var keys))
            {
                keys = [];
                _keysByBucket.Add(bucket, keys);
            }
            keys.Add(key);
        }
        _staged.Clear();
        Checkpoint = checkpoint;
    }

    /// <inheritdoc />
    public void DiscardStaged() => _staged.Clear();

    /// <inheritdoc />
    public StateStoreStats GetStats() =>
        new(_buckets.Count, _keysByBucket.Count, 0, _keyArrayBytes + ((long)_buckets.Count * EntryOverheadBytes));

    /// <inheritdoc />
    public void Dispose()
    {
        _buckets.Clear();
        _keysByBucket.Clear();
        _staged.Clear();
    }

    private void DropBucketsBelow(long floor)
    {
        while (_keysByBucket.Count > 0)
        {
            var (bucket, keys) = _keysByBucket.First();
            if (bucket >= floor)
            {
                return;
            }
            foreach (var key in keys)
            {
                if (_buckets.TryGetValue(key, out var current) && current == bucket)
                {
                    _buckets.Remove(key);
                    _keyArrayBytes -= ArrayBytes(key);
                }
            }
            _keysByBucket.Remove(bucket);
        }
    }

    private static long ArrayBytes(byte[] key) => (ArrayHeaderBytes + key.Length + 7) & ~7L;
}
