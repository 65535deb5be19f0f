using System.Diagnostics;
using System.Globalization;
using StreamingPipeline.Jobs.Dedup;
using StreamingPipeline.Processing.State;

namespace StreamingPipeline.Benchmarks;

/// <summary>
/// The dedup state layout, measured through <see cref="DedupOperator"/> alone (no Kafka, no parsing): a seeded
/// stream of events from 1 M users with 5 % re-sends inside the window, event time spanning 1.5 windows so that
/// expiry runs, a commit every 5,000 events. Layouts: (a) the shipped one — one keyspace, compact key -> bucket,
/// plus a per-bucket expiry index; (b) one column family per bucket, bloom-filtered, probed across the retained
/// buckets; and the in-memory backend as the yardstick. Reports ns per decision (wall and process CPU), keys,
/// bytes on disk, memtable bytes.
/// </summary>
public static class DedupStateLayoutBenchmark
{
    private const int CommitEvery = 5_000;

    /// <summary>Runs the benchmark; arguments: [events=3000000] [users=1000000] [layouts=memory,keyspace,cf-per-bucket].</summary>
    public static Task<int> RunAsync(string[] args)
    {
        var events = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 3_000_000;
        var users = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1_000_000;
        var layouts = args.Length > 2 ? args[2].Split(',') : ["memory", "keyspace-filter", "keyspace-index", "cf-per-bucket"];
        var window = DedupWindow.Default;
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores; .NET {Environment.Version}");
        Console.WriteLine($"{events:N0} events, {users:N0} users, 5 % re-sends within the window, event time over 36 h, window 24 h / 30 min, commit every {CommitEvery:N0}");
        RocksDbCallCostProbe.Run(Math.Min(events, 200_000));
        var stream = SyntheticStream.Create(events, users, seed: 42, window);

        Console.WriteLine();
        Console.WriteLine("| layout | ns/decision (wall) | ns/decision (process CPU) | of which commits (wall) | passed | dropped | keys at end | buckets | bytes on disk | after full compaction | memtables | rebuild of one window on an empty store (s wall / s CPU) |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var layout in layouts)
        {
            var directory = Directory.CreateTempSubdirectory("bench-dedup-state-").FullName;
            try
            {
                using var store = Open(layout, Path.Combine(directory, "state"));
                var passedMask = new bool[stream.Count];
                var result = Run(store, window, stream, passedMask);
                var stats = store.GetStats();
                long? compacted = null;
                if (store is RocksDbBucketStateStore rocks)
                {
                    rocks.CompactAll();
                    compacted = rocks.GetStats().BytesOnDisk;
                }
                using var rebuilt = Open(layout, Path.Combine(directory, "rebuilt"));
                var rebuild = Rebuild(rebuilt, window, stream, passedMask);
                if (rebuilt.GetStats().Keys != stats.Keys)
                {
                    throw new InvalidOperationException($"rebuilt state has {rebuilt.GetStats().Keys} keys, the original {stats.Keys}");
                }
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {layout} | {result.WallNs:N0} | {result.CpuNs:N0} | {result.CommitNs:N0} | {result.Passed:N0} | {result.Dropped:N0} | {stats.Keys:N0} | {stats.Buckets} | {stats.BytesOnDisk:N0} | {compacted?.ToString("N0", CultureInfo.InvariantCulture) ?? "-"} | {stats.MemoryBytes:N0} | {rebuild.Wall:0.0} / {rebuild.Cpu:0.0} ({rebuild.Applied:N0} events) |"));
            }
            finally
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        return Task.FromResult(0);
    }

    private static IBucketStateStore Open(string layout, string path) => layout switch
    {
        "memory" => new MemoryBucketStateStore(),
        "keyspace-filter" => RocksDbBucketStateStore.Open(path, RocksDbExpiry.CompactionFilter),
        "keyspace-index" => RocksDbBucketStateStore.Open(path, RocksDbExpiry.BucketIndex),
        "cf-per-bucket" => new ColumnFamilyPerBucketStore(path),
        _ => throw new ArgumentException($"unknown layout {layout} (memory, keyspace-filter, keyspace-index, cf-per-bucket)"),
    };

    /// <summary>
    /// What a restore on an empty data dir does to the state (Kafka's read and the parse left out): apply the passed
    /// events from the first one at or after the window's start as of the last passed event, then one commit.
    /// </summary>
    private static (double Wall, double Cpu, long Applied) Rebuild(IBucketStateStore store, DedupWindow window, SyntheticStream stream, bool[] passedMask)
    {
        var last = Array.LastIndexOf(passedMask, true);
        var target = window.RetainedSince(stream.Timestamps[last]);
        var from = Enumerable.Range(0, stream.Count).First(i => passedMask[i] && stream.Timestamps[i] >= target);
        var dedup = new DedupOperator(store, window);
        long applied = 0;
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var stopwatch = Stopwatch.StartNew();
        for (var i = from; i < stream.Count; i++)
        {
            if (passedMask[i])
            {
                dedup.ApplyPassed(stream.Ids[i], stream.Users[stream.UserOf[i]], stream.Timestamps[i]);
                applied++;
            }
        }
        dedup.Commit(applied);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        return (stopwatch.Elapsed.TotalSeconds, cpu.TotalSeconds, applied);
    }

    private static (double WallNs, double CpuNs, double CommitNs, long Passed, long Dropped) Run(IBucketStateStore store, DedupWindow window, SyntheticStream stream, bool[] passedMask)
    {
        var dedup = new DedupOperator(store, window);
        long passed = 0;
        long dropped = 0;
        var commits = TimeSpan.Zero;
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var stopwatch = Stopwatch.StartNew();
        for (var i = 0; i < stream.Count; i++)
        {
            if (dedup.Decide(stream.Ids[i], stream.Users[stream.UserOf[i]], stream.Timestamps[i]) == DedupDecision.Duplicate)
            {
                dropped++;
            }
            else
            {
                passed++;
                passedMask[i] = true;
            }
            if (i % CommitEvery == CommitEvery - 1)
            {
                var commitStarted = Stopwatch.GetTimestamp();
                dedup.Commit(passed - 1);
                commits += Stopwatch.GetElapsedTime(commitStarted);
            }
        }
        dedup.Commit(passed - 1);
        stopwatch.Stop();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        return (stopwatch.Elapsed.TotalNanoseconds / stream.Count, cpu.TotalNanoseconds / stream.Count, commits.TotalNanoseconds / stream.Count, passed, dropped);
    }
}
