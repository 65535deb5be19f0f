using System.Buffers.Binary;
using System.Text;
using RocksDbSharp;

namespace StreamingPipeline.Processing.State;

/// <summary>
/// The RocksDB backend. Column families:
/// <c>keys</c> (key -> bucket, 8 bytes little-endian; bloom-filtered for the point lookup),
/// <c>meta</c> (format marker, checkpoint, expiry floor, per-bucket key counts) and, with
/// <see cref="RocksDbExpiry.BucketIndex"/>, <c>expiry</c> (bucket big-endian ++ key -> empty: each bucket's keys,
/// contiguous, so expiry reads only the expired bucket, deletes its keys and drops it with one range delete).
/// With <see cref="RocksDbExpiry.CompactionFilter"/> (the default) expiry is a committed floor: lookups compare
/// buckets, the key counts drop at once, and compaction removes the expired keys from disk.
/// A commit is one WriteBatch (WAL on, not fsynced: a lost tail only makes the checkpoint older, and the caller
/// catches up from its output). Not thread-safe: one task owns the store.
/// </summary>
public sealed class RocksDbBucketStateStore : IBucketStateStore
{
    private const string FormatMarker = "streaming-pipeline bucket-state v1 ";
    private static readonly byte[] FormatKey = "format"u8.ToArray();
    private static readonly byte[] FloorKey = "floor"u8.ToArray();
    private static readonly byte[] CheckpointKey = "checkpoint"u8.ToArray();
    private const byte CountKeyPrefix = (byte)'c';

    /// <summary>The WAL cap (<c>max_total_wal_size</c>): past it RocksDB flushes the families holding the oldest WAL.</summary>
    public const ulong MaxTotalWalBytes = 64UL << 20;

    /// <summary>The <c>keys</c> family's write buffer (<c>write_buffer_size</c>); RocksDB holds up to two (active + flushing).</summary>
    public const ulong KeysWriteBufferBytes = 16UL << 20;

    /// <summary>Every SST file of <c>keys</c> and <c>expiry</c> is rewritten at least this often (<c>periodic_compaction_seconds</c>).</summary>
    public const ulong PeriodicCompactionSeconds = 86_400;

    private readonly string _directory;
    private readonly RocksDb _db;
    private readonly ColumnFamilyHandle _keys;
    private readonly ColumnFamilyHandle _expiry;
    private readonly ColumnFamilyHandle _meta;
    private readonly WriteOptions _writeOptions = new();
    private readonly ReadOptions _readOptions = new();
    private readonly StagedChanges _staged = new();
    private readonly List<KeyValuePair<byte[], long>> _sortedPuts = [];
    // Native options and the block cache must outlive the database; these references keep their finalizers away.
    private readonly object[] _nativeOptions;
    private readonly SortedDictionary<long, long> _countByBucket;
    private readonly byte[] _expiryKeyBuffer = new byte[256];
    private readonly RocksDbExpiry _expiryMode;
    private readonly BucketExpiryFilter _filter;

    private RocksDbBucketStateStore(string directory, RocksDb db, RocksDbExpiry expiry, BucketExpiryFilter filter, object[] nativeOptions)
    {
        _nativeOptions = nativeOptions;
        _expiryMode = expiry;
        _filter = filter;
        _directory = directory;
        _db = db;
        _keys = db.GetColumnFamily("keys");
        _expiry = db.GetColumnFamily("expiry");
        _meta = db.GetColumnFamily("meta");
        _countByBucket = ReadCounts();
        Checkpoint = ReadCheckpoint();
        var floor = db.Get(FloorKey, _meta);
        _filter.Floor = floor is { Length: 8 } ? BinaryPrimitives.ReadInt64LittleEndian(floor) : long.MinValue;
    }

    /// <inheritdoc />
    public StateCheckpoint? Checkpoint { get; private set; }

    /// <summary>The directory the database lives in.</summary>
    public string Directory => _directory;

    /// <summary>
    /// Opens the state in <paramref name="directory"/>, creating it when absent or empty. <paramref name="keyLayout"/>
    /// names the caller's key encoding; it is recorded with the expiry mode, and state written with either different is refused.
    /// </summary>
    /// <exception cref="StateStoreException">The directory holds something else (<see cref="StateStoreException.IsOtherLayout"/>
    /// when it is this pipeline's state in another layout), or RocksDB cannot open it.</exception>
    public static RocksDbBucketStateStore Open(string directory, RocksDbExpiry expiry = RocksDbExpiry.CompactionFilter, string? keyLayout = null)
    {
        var marker = FormatMarker + (expiry == RocksDbExpiry.CompactionFilter ? "compaction-filter" : "bucket-index")
            + (keyLayout is null ? "" : " keys=" + keyLayout);
        var filter = new BucketExpiryFilter();
        var path = Path.GetFullPath(directory);
        var isNew = !System.IO.Directory.Exists(path) || !System.IO.Directory.EnumerateFileSystemEntries(path).Any();
        if (!isNew)
        {
            CheckIsStateDirectory(path);
        }
        System.IO.Directory.CreateDirectory(path);
        var blockCache = Cache.CreateLru(32UL << 20);
        var table = new BlockBasedTableOptions()
            .SetFilterPolicy(BloomFilterPolicy.Create(10, false))
            .SetBlockCache(blockCache)
            .SetFormatVersion(5);
        var keysOptions = new ColumnFamilyOptions()
            .SetBlockBasedTableFactory(table)
            .SetWriteBufferSize(KeysWriteBufferBytes)
            .SetCompression(Compression.Lz4)
            // Most lookups are of new eventIds, absent everywhere: a whole-key bloom filter on the memtable answers them
            // without searching its skip list, which cost a third of the job's CPU (docs/BENCHMARKS.md).
            .SetMemtablePrefixBloomSizeRatio(0.1);
        Native.Instance.rocksdb_options_set_memtable_whole_key_filtering(keysOptions.Handle, 1);
        // Expired keys leave the disk only when a compaction rewrites their file; a partition whose traffic stops
        // triggers none and would keep its last window for good (docs/STATE_SIZE.md): rewrite every file at least daily.
        Native.Instance.rocksdb_options_set_periodic_compaction_seconds(keysOptions.Handle, PeriodicCompactionSeconds);
        if (expiry == RocksDbExpiry.CompactionFilter)
        {
            keysOptions.SetCompactionFilter(filter.Native.Handle);
        }
        var expiryOptions = new ColumnFamilyOptions().SetWriteBufferSize(16UL << 20).SetCompression(Compression.Lz4);
        Native.Instance.rocksdb_options_set_periodic_compaction_seconds(expiryOptions.Handle, PeriodicCompactionSeconds);
        var families = new ColumnFamilies
        {
            { "keys", keysOptions },
            { "expiry", expiryOptions },
            { "meta", new ColumnFamilyOptions() },
        };
        var options = new DbOptions()
            .SetCreateIfMissing(true)
            .SetCreateMissingColumnFamilies(true)
            // Every commit writes meta's checkpoint, whose memtable almost never fills: without a cap RocksDB keeps
            // every WAL file since meta's last flush, up to 4x all write buffers (docs/STATE_SIZE.md, "WAL").
            .SetMaxTotalWalSize(MaxTotalWalBytes)
            .SetKeepLogFileNum(2)
            .SetMaxLogFileSize(1UL << 20);
        RocksDb db;
        try
        {
            db = RocksDb.Open(options, path, families);
        }
        catch (RocksDbException e)
        {
            throw new StateStoreException($"cannot open state at {path}: {FirstLine(e.Message)}", e);
        }
        try
        {
            var format = db.Get(FormatKey, db.GetColumnFamily("meta"));
            if (format is null && isNew)
            {
                db.Put(FormatKey, Encoding.UTF8.GetBytes(marker), db.GetColumnFamily("meta"));
            }
            else if (format is null || Encoding.UTF8.GetString(format) != marker)
            {
                var written = format is null ? null : Encoding.UTF8.GetString(format);
                if (written is not null && written.StartsWith(FormatMarker, StringComparison.Ordinal))
                {
                    throw new StateStoreException(
                        $"{path} holds this pipeline's state in another layout ({written[FormatMarker.Length..]}, expected {marker[FormatMarker.Length..]}): it is not this pipeline's state as configured",
                        isOtherLayout: true);
                }
                throw new StateStoreException($"{path} holds RocksDB data that is not this pipeline's state (format marker missing or different)");
            }
            return new RocksDbBucketStateStore(path, db, expiry, filter, [options, families, table, blockCache, keysOptions, expiryOptions]);
        }
        catch
        {
            db.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public bool TryGetBucket(ReadOnlySpan<byte> key, out long bucket)
    {
        if (_staged.TryGet(key, out bucket))
        {
            return true;
        }
        Span<byte> value = stackalloc byte[8];
        if (_db.GetFixedSizeValue(key, value, _keys, _readOptions))
        {
            bucket = BinaryPrimitives.ReadInt64LittleEndian(value);
            return true;
        }
        bucket = 0;
        return false;
    }

    /// <inheritdoc />
    /// <remarks>The caller puts only a key that is absent or whose bucket is expired, which keeps the key counts exact without a read.</remarks>
    public void Put(ReadOnlySpan<byte> key, long bucket) => _staged.Put(key, bucket);

    /// <inheritdoc />
    public void ExpireBefore(long firstRetainedBucket) => _staged.Expire(firstRetainedBucket);

    /// <inheritdoc />
    public void Commit(StateCheckpoint checkpoint)
    {
        var counts = new SortedDictionary<long, long>(_countByBucket);
        using var batch = new WriteBatch();
        // Deletes first: a key re-put in this transaction after its old bucket expired is written after its delete.
        if (_staged.ExpireBefore is { } floor)
        {
            foreach (var bucket in _countByBucket.Keys.TakeWhile(b => b < floor))
            {
                DeleteBucket(batch, bucket);
                counts.Remove(bucket);
            }
        }
        Span<byte> value = stackalloc byte[8];
        if (_staged.ExpireBefore is { } newFloor)
        {
            BinaryPrimitives.WriteInt64LittleEndian(value, newFloor);
            batch.Put(FloorKey, value, _meta);
        }
        // The staged puts, in staging (time) order, fall into runs of one or two buckets: count per run, not per key.
        _sortedPuts.Clear();
        var (runBucket, runLength) = (0L, 0L);
        foreach (var put in _staged.LivePuts())
        {
            _sortedPuts.Add(put);
            if (runLength > 0 && put.Value != runBucket)
            {
                counts[runBucket] = counts.GetValueOrDefault(runBucket) + runLength;
                runLength = 0;
            }
            runBucket = put.Value;
            runLength++;
        }
        if (runLength > 0)
        {
            counts[runBucket] = counts.GetValueOrDefault(runBucket) + runLength;
        }
        // In key order, each memtable insert starts from where the previous one ended in the skip list instead of
        // searching from its top: with random 12-byte hashes that insert was the store's largest cost.
        _sortedPuts.Sort(static (a, b) => a.Key.AsSpan().SequenceCompareTo(b.Key));
        foreach (var (key, bucket) in _sortedPuts)
        {
            BinaryPrimitives.WriteInt64LittleEndian(value, bucket);
            batch.Put(key, value, _keys);
            if (_expiryMode == RocksDbExpiry.BucketIndex)
            {
                batch.Put(ExpiryKey(bucket, key), ReadOnlySpan<byte>.Empty, _expiry);
            }
        }
        Span<byte> countKey = stackalloc byte[9];
        foreach (var (bucket, count) in counts)
        {
            if (!_countByBucket.TryGetValue(bucket, out var before) || before != count)
            {
                WriteCountKey(countKey, bucket);
                BinaryPrimitives.WriteInt64LittleEndian(value, count);
                batch.Put(countKey, value, _meta);
            }
        }
        Span<byte> checkpointValue = stackalloc byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(checkpointValue, checkpoint.OutputOffset);
        BinaryPrimitives.WriteInt64LittleEndian(checkpointValue[8..], checkpoint.StreamTime);
        batch.Put(CheckpointKey, checkpointValue, _meta);
        try
        {
            _db.Write(batch, _writeOptions);
        }
        catch (RocksDbException e)
        {
            throw new StateStoreException($"cannot write state at {_directory}: {FirstLine(e.Message)}", e);
        }
        _countByBucket.Clear();
        foreach (var (bucket, count) in counts)
        {
            _countByBucket.Add(bucket, count);
        }
        if (_staged.ExpireBefore is { } committedFloor)
        {
            // Only now may compaction drop those keys: the commit that expired them is written.
            _filter.Floor = committedFloor;
        }
        _staged.Clear();
        _sortedPuts.Clear();
        Checkpoint = checkpoint;
    }

    /// <inheritdoc />
    public void DiscardStaged() => _staged.Clear();

    /// <inheritdoc />
    public StateStoreStats GetStats()
    {
        long memtables = 0;
        foreach (var family in new[] { _keys, _expiry, _meta })
        {
            memtables += long.TryParse(_db.GetProperty("rocksdb.cur-size-all-mem-tables", family), out var bytes) ? bytes : 0;
        }
        var onDisk = new DirectoryInfo(_directory).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
        // The three column families share one block cache: its usage is read once.
        var blockCache = long.TryParse(_db.GetProperty("rocksdb.block-cache-usage", _keys), out var cached) ? cached : 0;
        return new StateStoreStats(_countByBucket.Values.Sum(), _countByBucket.Count, onDisk, memtables) { BlockCacheBytes = blockCache };
    }

    /// <summary>
    /// A RocksDB integer property such as <c>rocksdb.total-sst-files-size</c>, <c>rocksdb.estimate-live-data-size</c>,
    /// <c>rocksdb.cur-size-all-mem-tables</c> or <c>rocksdb.estimate-num-keys</c>, of one column family (<c>keys</c>,
    /// <c>expiry</c>, <c>meta</c>) or summed over all three when <paramref name="columnFamily"/> is null; 0 when RocksDB
    /// does not report it. For size measurements.
    /// </summary>
    public long GetLongProperty(string property, string? columnFamily = null)
    {
        var families = columnFamily is null ? new[] { _keys, _expiry, _meta } : [_db.GetColumnFamily(columnFamily)];
        long sum = 0;
        foreach (var family in families)
        {
            sum += long.TryParse(_db.GetProperty(property, family), out var value) ? value : 0;
        }
        return sum;
    }

    /// <summary>Flushes the memtables and compacts every column family, so expired data leaves the disk now (measurements, tests).</summary>
    public void CompactAll()
    {
        FlushMemtables();
        foreach (var family in new[] { _keys, _expiry, _meta })
        {
            _db.CompactRange((byte[]?)null, null, family);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _staged.Clear();
        try
        {
            // Written to SST files now, the memtables need no WAL replay at the next open: a restart with its state
            // kept opens in milliseconds instead of re-inserting (and flushing) up to a write buffer per family.
            FlushMemtables();
        }
        catch (RocksDbException)
        {
            // Nothing is lost: the WAL still holds it, and the next open replays it.
        }
        // Options, caches and handles are released by their finalizers (RocksDbSharp gives them no Dispose).
        _db.Dispose();
        GC.KeepAlive(_nativeOptions);
        GC.KeepAlive(_filter);
    }

    /// <summary>Writes every column family's memtable to SST files and waits; afterwards the WAL holds nothing needed.</summary>
    private void FlushMemtables()
    {
        var options = new FlushOptions().SetWaitForFlush(true);
        foreach (var family in new[] { _keys, _expiry, _meta })
        {
            Native.Instance.rocksdb_flush_cf(_db.Handle, options.Handle, family.Handle);
        }
    }

    private void DeleteBucket(WriteBatch batch, long bucket)
    {
        Span<byte> countKey = stackalloc byte[9];
        WriteCountKey(countKey, bucket);
        batch.Delete(countKey, _meta);
        if (_expiryMode == RocksDbExpiry.CompactionFilter)
        {
            return;
        }
        var start = new byte[8];
        var end = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(start, bucket);
        BinaryPrimitives.WriteInt64BigEndian(end, bucket + 1);
        var readOptions = new ReadOptions().SetIterateUpperBound(end).SetFillCache(false);
        using (var iterator = _db.NewIterator(_expiry, readOptions))
        {
            for (iterator.Seek(start); iterator.Valid(); iterator.Next())
            {
                batch.Delete(iterator.GetKeySpan()[8..], _keys);
            }
        }
        batch.DeleteRange(start, 8, end, 8, _expiry);
    }

    private ReadOnlySpan<byte> ExpiryKey(long bucket, byte[] key)
    {
        var buffer = 8 + key.Length <= _expiryKeyBuffer.Length ? _expiryKeyBuffer : new byte[8 + key.Length];
        BinaryPrimitives.WriteInt64BigEndian(buffer, bucket);
        key.CopyTo(buffer, 8);
        return buffer.AsSpan(0, 8 + key.Length);
    }

    private static void WriteCountKey(Span<byte> destination, long bucket)
    {
        destination[0] = CountKeyPrefix;
        BinaryPrimitives.WriteInt64BigEndian(destination[1..], bucket);
    }

    private SortedDictionary<long, long> ReadCounts()
    {
        var counts = new SortedDictionary<long, long>();
        using var iterator = _db.NewIterator(_meta);
        for (iterator.Seek([CountKeyPrefix]); iterator.Valid(); iterator.Next())
        {
            var key = iterator.GetKeySpan();
            if (key.Length != 9 || key[0] != CountKeyPrefix)
            {
                break;
            }
            counts.Add(BinaryPrimitives.ReadInt64BigEndian(key[1..]), BinaryPrimitives.ReadInt64LittleEndian(iterator.GetValueSpan()));
        }
        return counts;
    }

    private StateCheckpoint? ReadCheckpoint()
    {
        var value = _db.Get(CheckpointKey, _meta);
        if (value is null)
        {
            return null;
        }
        if (value.Length != 16)
        {
            throw new StateStoreException($"{_directory} has a damaged checkpoint ({value.Length} bytes, expected 16)");
        }
        return new StateCheckpoint(BinaryPrimitives.ReadInt64LittleEndian(value), BinaryPrimitives.ReadInt64LittleEndian(value.AsSpan(8)));
    }

    private static void CheckIsStateDirectory(string path)
    {
        if (!File.Exists(Path.Combine(path, "CURRENT")))
        {
            throw new StateStoreException($"{path} is not empty and holds no RocksDB database; refusing to use it as state");
        }
        if (!RocksDb.TryListColumnFamilies(new DbOptions(), path, out var families))
        {
            throw new StateStoreException($"cannot open state at {path}: its RocksDB metadata is unreadable");
        }
        string[] expected = ["keys", "expiry", "meta"];
        if (!expected.All(families.Contains))
        {
            throw new StateStoreException($"{path} holds a RocksDB database that is not this pipeline's state (column families: {string.Join(", ", families)})");
        }
    }

    private static string FirstLine(string message)
    {
        var end = message.IndexOfAny(['\r', '\n']);
        return end < 0 ? message : message[..end];
    }
}
