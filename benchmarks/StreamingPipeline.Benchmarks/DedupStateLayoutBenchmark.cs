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
        var layouts = args.Length > 2 ? args[2].Split(',') : ["memory", "keyspace", "cf-per-bucket"];
        var window = DedupWindow.Default;
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores; .NET {Environment.Version}");
        Console.WriteLine($"{events:N0} events, {users:N0} users, 5 % re-sends within the window, event time over 36 h, window 24 h / 30 min, commit every {CommitEvery:N0}");
        var stream = SyntheticStream.Create(events, users, seed: 42, window);

        Console.WriteLine();
        Console.WriteLine("| layout | ns/decision (wall) | ns/decision (CPU) | passed | dropped | keys at end | buckets | bytes on disk | memtables |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var layout in layouts)
        {
            var directory = Directory.CreateTempSubdirectory("bench-dedup-state-").FullName;
            try
            {
                using var store = Open(layout, Path.Combine(directory, "state"));
                var result = Run(store, window, stream);
                var stats = store.GetStats();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {layout} | {result.WallNs:N0} | {result.CpuNs:N0} | {result.Passed:N0} | {result.Dropped:N0} | {stats.Keys:N0} | {stats.Buckets} | {stats.BytesOnDisk:N0} | {stats.MemoryBytes:N0} |"));
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
        "keyspace" => RocksDbBucketStateStore.Open(path),
        "cf-per-bucket" => new ColumnFamilyPerBucketStore(path),
        _ => throw new ArgumentException($"unknown layout {layout} (memory, keyspace, cf-per-bucket)"),
    };

    private static (double WallNs, double CpuNs, long Passed, long Dropped) Run(IBucketStateStore store, DedupWindow window, SyntheticStream stream)
    {
        var dedup = new DedupOperator(store, window);
        long passed = 0;
        long dropped = 0;
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
            }
            if (i % CommitEvery == CommitEvery - 1)
            {
                dedup.Commit(passed - 1);
            }
        }
        dedup.Commit(passed - 1);
        stopwatch.Stop();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        return (stopwatch.Elapsed.TotalNanoseconds / stream.Count, cpu.TotalNanoseconds / stream.Count, passed, dropped);
    }
}
