using RocksDbSharp;
using StreamingPipeline.Processing.State;

namespace StreamingPipeline.Benchmarks;

/// <summary>
/// The layout the state benchmark compares against: one column family per bucket holding that bucket's keys, each
/// with a bloom filter; a lookup probes the retained buckets newest first, expiry drops whole column families.
/// Benchmark-only: no checkpoint persistence beyond the process, no reopen.
/// </summary>
public sealed class ColumnFamilyPerBucketStore : IBucketStateStore
{
    private readonly string _directory;
    private readonly RocksDb _db;
    private readonly ColumnFamilyOptions _familyOptions;
    private readonly SortedDictionary<long, ColumnFamilyHandle> _families = [];
    private readonly Dictionary<byte[], long> _staged = new(new KeyComparer());
    private readonly Dictionary<long, long> _countByBucket = [];
    private readonly WriteOptions _writeOptions = new();
    private readonly ReadOptions _readOptions = new();
    private readonly object[] _keepAlive;
    private long? _expireBefore;

    /// <summary>Creates the store in <paramref name="directory"/> (must be new).</summary>
    public ColumnFamilyPerBucketStore(string directory)
    {
        _directory = directory;
        var cache = Cache.CreateLru(32UL << 20);
        var table = new BlockBasedTableOptions().SetFilterPolicy(BloomFilterPolicy.Create(10, false)).SetBlockCache(cache).SetFormatVersion(5);
        _familyOptions = new ColumnFamilyOptions().SetBlockBasedTableFactory(table).SetWriteBufferSize(8UL << 20).SetCompression(Compression.Lz4);
        var options = new DbOptions().SetCreateIfMissing(true).SetCreateMissingColumnFamilies(true).SetKeepLogFileNum(2).SetDbWriteBufferSize(64UL << 20);
        _db = RocksDb.Open(options, directory, new ColumnFamilies());
        _keepAlive = [cache, table, options];
    }

    /// <inheritdoc />
    public StateCheckpoint? Checkpoint { get; private set; }

    /// <inheritdoc />
    public bool TryGetBucket(ReadOnlySpan<byte> key, out long bucket)
    {
        var array = key.ToArray();
        if (_staged.TryGetValue(array, out bucket))
        {
            return true;
        }
        foreach (var (candidate, family) in _families.Reverse())
        {
            if (_db.HasKey(key, family, _readOptions))
            {
                bucket = candidate;
                return true;
            }
        }
        bucket = 0;
        return false;
    }

    /// <inheritdoc />
    public void Put(ReadOnlySpan<byte> key, long bucket) => _staged[key.ToArray()] = bucket;

    /// <inheritdoc />
    public void ExpireBefore(long firstRetainedBucket) => _expireBefore = Math.Max(_expireBefore ?? long.MinValue, firstRetainedBucket);

    /// <inheritdoc />
    public void Commit(StateCheckpoint checkpoint)
    {
        if (_expireBefore is { } floor)
        {
            foreach (var bucket in _families.Keys.TakeWhile(b => b < floor).ToList())
            {
                _db.DropColumnFamily(Name(bucket));
                _families.Remove(bucket);
                _countByBucket.Remove(bucket);
            }
        }
        using var batch = new WriteBatch();
        foreach (var (key, bucket) in _staged)
        {
            if (bucket < (_expireBefore ?? long.MinValue))
            {
                continue;
            }
            if (!_families.TryGetValue(bucket, out var family))
            {
                family = _db.CreateColumnFamily(_familyOptions, Name(bucket));
                _families.Add(bucket, family);
            }
            batch.Put(key, ReadOnlySpan<byte>.Empty, family);
            _countByBucket[bucket] = _countByBucket.GetValueOrDefault(bucket) + 1;
        }
        _db.Write(batch, _writeOptions);
        _staged.Clear();
        _expireBefore = null;
        Checkpoint = checkpoint;
    }

    /// <inheritdoc />
    public void DiscardStaged()
    {
        _staged.Clear();
        _expireBefore = null;
    }

    /// <inheritdoc />
    public StateStoreStats GetStats()
    {
        long memtables = 0;
        foreach (var family in _families.Values)
        {
            memtables += long.TryParse(_db.GetProperty("rocksdb.cur-size-all-mem-tables", family), out var bytes) ? bytes : 0;
        }
        var onDisk = new DirectoryInfo(_directory).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
        return new StateStoreStats(_countByBucket.Values.Sum(), _families.Count, onDisk, memtables);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _db.Dispose();
        GC.KeepAlive(_keepAlive);
    }

    private static string Name(long bucket) => "b" + bucket.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private sealed class KeyComparer : IEqualityComparer<byte[]>
    {
        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj)
        {
            var hash = new HashCode();
            hash.AddBytes(obj);
            return hash.ToHashCode();
        }
    }
}
