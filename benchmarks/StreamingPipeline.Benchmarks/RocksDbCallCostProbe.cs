using System.Diagnostics;
using System.Globalization;
using RocksDbSharp;

namespace StreamingPipeline.Benchmarks;

/// <summary>The cost of single RocksDbSharp calls (a missing-key lookup, a batched put) on this machine, to read the layout benchmark against.</summary>
public static class RocksDbCallCostProbe
{
    /// <summary>Prints ns per call for lookups and batched puts of 32-byte keys.</summary>
    public static void Run(int count)
    {
        var directory = Directory.CreateTempSubdirectory("bench-rocks-probe-").FullName;
        try
        {
            var table = new BlockBasedTableOptions().SetFilterPolicy(BloomFilterPolicy.Create(10, false));
            var options = new DbOptions().SetCreateIfMissing(true);
            options.SetBlockBasedTableFactory(table);
            using var db = RocksDb.Open(options, directory);
            var key = new byte[32];
            Span<byte> value = stackalloc byte[8];
            var random = new Random(1);
            Measure("put (WriteBatch of 5,000, then Write)", count, () =>
            {
                var batch = new WriteBatch();
                for (var i = 0; i < count; i++)
                {
                    random.NextBytes(key);
                    batch.Put(key, key.AsSpan(0, 8), null);
                    if (i % 5000 == 4999)
                    {
                        db.Write(batch);
                        batch.Dispose();
                        batch = new WriteBatch();
                    }
                }
                db.Write(batch);
                batch.Dispose();
            });
            Measure("lookup of a missing key (GetFixedSizeValue)", count, () =>
            {
                Span<byte> v = stackalloc byte[8];
                for (var i = 0; i < count; i++)
                {
                    random.NextBytes(key);
                    db.GetFixedSizeValue(key, v, null, null);
                }
            });
            Measure("lookup of a missing key (Get into a buffer)", count, () =>
            {
                var buffer = new byte[8];
                for (var i = 0; i < count; i++)
                {
                    random.NextBytes(key);
                    db.Get(key, buffer, 0, 8, null, null);
                }
            });
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static void Measure(string what, int count, Action action)
    {
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var stopwatch = Stopwatch.StartNew();
        action();
        var cpuNs = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalNanoseconds / count;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{what}: {stopwatch.Elapsed.TotalNanoseconds / count:N0} ns wall, {cpuNs:N0} ns process CPU per call"));
    }
}
