using System.Diagnostics;
using System.Globalization;
using StreamingPipeline.Jobs.Dedup;
using StreamingPipeline.Processing.State;

namespace StreamingPipeline.Benchmarks;

/// <summary>
/// Checks <see cref="StateSizeModel"/> against the real state: drives <see cref="DedupOperator"/> over one store (one
/// partition holding every user; no Kafka) with generated events from N users at R events per user per day, 5 %
/// re-sends, event time advanced as fast as the store takes it. Full traffic runs until just before a bucket boundary
/// at least W + S in (every retained bucket full: the peak), where it reads the real sizes, compacts and compares with
/// the model; then traffic drops to 1 % for W + 2S of event time so the state shrinks back. Prints the size every 2 h
/// of event time.
/// </summary>
public static class StateSizeBenchmark
{
    private const int CommitEvery = 5_000;
    private const double DuplicateShare = 0.05;
    private const double DrainRate = 0.01;
    private const int RecentEvents = 1 << 16;
    private static readonly TimeSpan SampleEvery = TimeSpan.FromHours(2);

    /// <summary>Runs the benchmark; arguments: [users=1000000] [events-per-user-per-day=10] [full-traffic-hours=36] [backend=rocksdb|memory] [rocksdb-expiry=compaction-filter|bucket-index] [key=hash96|binary|text].</summary>
    public static Task<int> RunAsync(string[] args)
    {
        var users = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1_000_000;
        var perUserPerDay = args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 10;
        var fullHours = args.Length > 2 ? double.Parse(args[2], CultureInfo.InvariantCulture) : 36;
        var backend = args.Length > 3 ? args[3] : "rocksdb";
        var expiry = args.Length > 4 && args[4] == "bucket-index" ? RocksDbExpiry.BucketIndex : RocksDbExpiry.CompactionFilter;
        var keyFormat = args.Length > 5 ? ParseKeyFormat(args[5]) : DedupKey.DefaultFormat;
        var window = DedupWindow.Default;
        var input = new StateSizeInput(users, perUserPerDay, TimeSpan.FromMilliseconds(window.WindowMs), TimeSpan.FromMilliseconds(window.SlideMs), DuplicateShare, Partitions: 1, Expiry: expiry, KeyFormat: keyFormat);
        var model = StateSizeModel.Estimate(input);
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores; .NET {Environment.Version}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{users:N0} users, {perUserPerDay} events/user/day, {DuplicateShare:P0} re-sends, window 24 h / 30 min, one partition, backend {backend} (expiry {expiry}), key {DedupKey.LayoutName(keyFormat)} ({model.KeyBytes} bytes), commit every {CommitEvery:N0}"));

        var directory = Directory.CreateTempSubdirectory("bench-state-size-").FullName;
        try
        {
            using var store = backend switch
            {
                "rocksdb" => (IBucketStateStore)RocksDbBucketStateStore.Open(Path.Combine(directory, "state"), expiry, DedupKey.LayoutName(keyFormat)),
                "memory" => new MemoryBucketStateStore(),
                _ => throw new ArgumentException($"unknown backend {backend} (rocksdb, memory)"),
            };
            var run = new Run(store, window, users, perUserPerDay, keyFormat);
            // The baseline holds the generator's user strings and recent events, so the heap column is the store's.
            run.HeapBefore = GC.GetTotalMemory(forceFullCollection: true);
            Console.WriteLine();
            Console.WriteLine("| event time (h) | events/day | keys | buckets | total-sst-files-size | estimate-live-data-size | memtables | directory (SST+WAL+logs) | heap |");
            Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            var stopwatch = Stopwatch.StartNew();
            // Full traffic up to the last millisecond before a bucket boundary: all W/S + 1 retained buckets are full.
            var peakAt = window.BucketStart(window.BucketOf(Run.Start + (long)TimeSpan.FromHours(Math.Max(fullHours, 25)).TotalMilliseconds)) - 1;
            run.Drive(peakAt, 1.0);
            var fullElapsed = stopwatch.Elapsed;
            var uncompacted = Measure(store, run);
            Console.WriteLine("| peak, before compaction " + Row(run, uncompacted));
            (store as RocksDbBucketStateStore)?.CompactAll();
            var compacted = Measure(store, run);
            Console.WriteLine("| peak, compacted " + Row(run, compacted));
            run.Drive(peakAt + window.WindowMs + (2 * window.SlideMs), DrainRate);
            var drained = Measure(store, run);
            Console.WriteLine("| drained, before compaction " + Row(run, drained));
            (store as RocksDbBucketStateStore)?.CompactAll();
            Console.WriteLine("| drained, compacted " + Row(run, Measure(store, run)));

            Console.WriteLine();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{run.Events:N0} events ({run.Dropped:N0} dropped as duplicates) up to the peak in {fullElapsed.TotalSeconds:N0} s ({run.Events / fullElapsed.TotalSeconds:N0} events/s)"));
            Console.WriteLine();
            Console.WriteLine("| at the peak | model | measured | measured / model |");
            Console.WriteLine("|---|---:|---:|---:|");
            Compare("keys", model.PeakKeys, compacted.Keys);
            if (store is RocksDbBucketStateStore)
            {
                Compare("SST bytes, compacted (total-sst-files-size)", model.LiveSstBytes, compacted.SstBytes);
                Compare("live data (estimate-live-data-size)", model.LiveSstBytes, compacted.LiveDataBytes);
                if (expiry == RocksDbExpiry.BucketIndex)
                {
                    Compare("  keys family", (long)(model.PeakKeys * (model.KeysFamilyBytesPerKey + (model.IndexAndFilterBytesPerKey / 2))), compacted.KeysFamilyBytes);
                    Compare("  expiry family", (long)(model.PeakKeys * (model.ExpiryFamilyBytesPerKey + (model.IndexAndFilterBytesPerKey / 2))), compacted.ExpiryFamilyBytes);
                }
                Compare("SST bytes before compaction", model.UncompactedSstBytes, uncompacted.SstBytes);
                Compare("largest SST bytes seen over the run (2 h samples)", model.UncompactedSstBytes, Math.Max(run.MaxSstBytes, uncompacted.SstBytes));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| largest directory seen (SST + WAL + logs) | | {Math.Max(run.MaxDirectoryBytes, uncompacted.DirectoryBytes):N0} | |"));
                Compare("index + filters in memory (estimate-table-readers-mem)", model.IndexAndFilterMemoryBytes, compacted.TableReaderBytes);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| bytes per key, compacted | {model.RocksDbBytesPerKey:N1} | {(double)compacted.SstBytes / compacted.Keys:N1} | |"));
            }
            else
            {
                Compare("heap (GC.GetTotalMemory)", model.MemoryBackendHeapBytes, compacted.HeapBytes);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| heap bytes per key | {model.MemoryBytesPerKey:N1} | {(double)compacted.HeapBytes / compacted.Keys:N1} | |"));
            }
            GC.KeepAlive(run);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
        return Task.FromResult(0);
    }

    private static DedupKeyFormat ParseKeyFormat(string text) => text switch
    {
        "hash96" => DedupKeyFormat.Hash96,
        "binary" => DedupKeyFormat.Binary,
        "text" => DedupKeyFormat.Text,
        _ => throw new ArgumentException($"unknown key format {text} (hash96, binary, text)"),
    };

    private static void Compare(string what, long model, long measured) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {what} | {model:N0} | {measured:N0} | {(double)measured / model:N3} |"));

    private static string Row(Run run, StateSizes sizes) => string.Create(CultureInfo.InvariantCulture,
        $"{(run.StreamTime - Run.Start) / 3_600_000.0:N1} | | {sizes.Keys:N0} | {sizes.Buckets} | {sizes.SstBytes:N0} | {sizes.LiveDataBytes:N0} | {sizes.MemtableBytes:N0} | {sizes.DirectoryBytes:N0} | {sizes.HeapBytes:N0} |");

    private static StateSizes Measure(IBucketStateStore store, Run run)
    {
        var stats = store.GetStats();
        var heap = GC.GetTotalMemory(forceFullCollection: store is MemoryBucketStateStore) - run.HeapBefore;
        if (store is not RocksDbBucketStateStore rocks)
        {
            return new StateSizes(stats.Keys, stats.Buckets, 0, 0, 0, 0, 0, 0, 0, heap);
        }
        return new StateSizes(
            stats.Keys,
            stats.Buckets,
            rocks.GetLongProperty("rocksdb.total-sst-files-size"),
            rocks.GetLongProperty("rocksdb.estimate-live-data-size"),
            rocks.GetLongProperty("rocksdb.total-sst-files-size", "keys"),
            rocks.GetLongProperty("rocksdb.total-sst-files-size", "expiry"),
            rocks.GetLongProperty("rocksdb.cur-size-all-mem-tables"),
            rocks.GetLongProperty("rocksdb.estimate-table-readers-mem"),
            stats.BytesOnDisk,
            heap);
    }

    private readonly record struct StateSizes(
        long Keys, int Buckets, long SstBytes, long LiveDataBytes, long KeysFamilyBytes, long ExpiryFamilyBytes,
        long MemtableBytes, long TableReaderBytes, long DirectoryBytes, long HeapBytes);

    /// <summary>The generated stream and the operator it feeds; event time continues across <see cref="Drive"/> calls.</summary>
    private sealed class Run(IBucketStateStore store, DedupWindow window, int users, double perUserPerDay, DedupKeyFormat keyFormat)
    {
        public const long Start = 1_767_225_600_000L;

        private readonly DedupOperator _dedup = new(store, window, keyFormat);
        private readonly Random _random = new(42);
        private readonly string[] _users = CreateUsers(users);
        private readonly (Guid Id, int User, long Timestamp)[] _recent = new (Guid, int, long)[RecentEvents];
        private int _recentCount;
        private long _passed;
        private long _sinceCommit;
        private long _nextSample = Start + (long)SampleEvery.TotalMilliseconds;
        private double _time = Start;

        public long HeapBefore { get; set; }

        public long Events { get; private set; }

        public long MaxSstBytes { get; private set; }

        public long MaxDirectoryBytes { get; private set; }

        public long Dropped { get; private set; }

        public long StreamTime => _dedup.StreamTime ?? Start;

        /// <summary>Feeds events at <paramref name="rateFactor"/> of the full rate until event time reaches <paramref name="until"/>, then commits.</summary>
        public void Drive(long until, double rateFactor)
        {
            var intervalMs = 86_400_000.0 / (users * perUserPerDay * rateFactor);
            Span<byte> bytes = stackalloc byte[16];
            while ((long)_time <= until)
            {
                Guid id;
                int user;
                long timestamp;
                if (_recentCount > 0 && _random.NextDouble() < DuplicateShare)
                {
                    (id, user, timestamp) = _recent[_random.Next(Math.Min(_recentCount, RecentEvents))];
                }
                else
                {
                    _random.NextBytes(bytes);
                    id = new Guid(bytes);
                    user = _random.Next(users);
                    timestamp = (long)_time;
                    _recent[_recentCount++ % RecentEvents] = (id, user, timestamp);
                }
                // R counts re-sends too: the clock ticks for every record.
                _time += intervalMs;
                Events++;
                if (_dedup.Decide(id, _users[user], timestamp) == DedupDecision.Duplicate)
                {
                    Dropped++;
                }
                else
                {
                    _passed++;
                }
                if (++_sinceCommit == CommitEvery)
                {
                    Commit();
                }
                if (timestamp >= _nextSample)
                {
                    Commit();
                    var sizes = Measure(store, this);
                    MaxSstBytes = Math.Max(MaxSstBytes, sizes.SstBytes);
                    MaxDirectoryBytes = Math.Max(MaxDirectoryBytes, sizes.DirectoryBytes);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"| {(_nextSample - Start) / 3_600_000.0:N0} | {users * perUserPerDay * rateFactor:N0} | {sizes.Keys:N0} | {sizes.Buckets} | {sizes.SstBytes:N0} | {sizes.LiveDataBytes:N0} | {sizes.MemtableBytes:N0} | {sizes.DirectoryBytes:N0} | {sizes.HeapBytes:N0} |"));
                    _nextSample += (long)SampleEvery.TotalMilliseconds;
                }
            }
            Commit();
        }

        private void Commit()
        {
            _dedup.Commit(_passed - 1);
            _sinceCommit = 0;
        }

        private static string[] CreateUsers(int count)
        {
            var digits = Math.Max(6, (count - 1).ToString(CultureInfo.InvariantCulture).Length);
            var users = new string[count];
            for (var u = 0; u < count; u++)
            {
                users[u] = "u-" + u.ToString("D" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
            }
            return users;
        }
    }
}
