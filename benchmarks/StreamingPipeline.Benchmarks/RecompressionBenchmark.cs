using System.Diagnostics;
using System.Globalization;
using System.Text;
using StreamingPipeline.Broker.Log;
using StreamingPipeline.Testing;

namespace StreamingPipeline.Benchmarks;

/// <summary>
/// The broker's cost of a topic compression.type other than producer: the time <see cref="BatchRecompressor"/> takes
/// to turn a producer batch of one codec into the topic's codec, for every pair of codecs, on batches of JSON user
/// events like the pipeline's. Reported per CPU second of this process (not wall time, so a shared, loaded machine
/// skews it less): MB/s of uncompressed record bytes and µs of CPU per batch.
/// </summary>
public static class RecompressionBenchmark
{
    private static readonly (string Name, int Codec)[] Codecs =
        [("none", RecordCodec.None), ("gzip", RecordCodec.Gzip), ("snappy", RecordCodec.Snappy), ("lz4", RecordCodec.Lz4), ("zstd", RecordCodec.Zstd)];

    /// <summary>Runs the benchmark; arguments: [recordsPerBatch=500] [secondsPerPair=1].</summary>
    public static Task<int> RunAsync(string[] args)
    {
        var recordsPerBatch = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 500;
        var secondsPerPair = args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 1.0;
        var plain = UserEventBatch(recordsPerBatch);
        var recordBytes = plain.Length - 61;
        var sources = Codecs.ToDictionary(c => c.Codec, c => BatchRecompressor.Recompress(plain, c.Codec) ?? plain);
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores; .NET {Environment.Version}; batch: {recordsPerBatch} records, {recordBytes:N0} B of records");
        Console.WriteLine();
        Console.WriteLine("stored batch size by codec: " + string.Join(", ", Codecs.Select(c => $"{c.Name} {sources[c.Codec].Length:N0} B")));
        Console.WriteLine();
        Console.WriteLine("| producer codec \\ topic codec | " + string.Join(" | ", Codecs.Select(c => c.Codec == RecordCodec.None ? "uncompressed" : c.Name)) + " |");
        Console.WriteLine("|---|" + string.Concat(Codecs.Select(_ => "---|")));
        foreach (var (sourceName, sourceCodec) in Codecs)
        {
            var cells = new List<string>();
            foreach (var (_, targetCodec) in Codecs)
            {
                if (targetCodec == sourceCodec)
                {
                    cells.Add("– (stored as sent)");
                    continue;
                }
                var source = sources[sourceCodec];
                BatchRecompressor.Recompress(source, targetCodec); // warm-up
                var batches = 0;
                using var process = Process.GetCurrentProcess();
                var cpuBefore = process.TotalProcessorTime;
                var watch = Stopwatch.StartNew();
                while (watch.Elapsed.TotalSeconds < secondsPerPair)
                {
                    BatchRecompressor.Recompress(source, targetCodec);
                    batches++;
                }
                process.Refresh();
                var cpu = process.TotalProcessorTime - cpuBefore;
                var megabytesPerSecond = (double)recordBytes * batches / cpu.TotalSeconds / 1_000_000;
                var microsPerBatch = cpu.TotalMilliseconds * 1000 / batches;
                cells.Add(string.Create(CultureInfo.InvariantCulture, $"{megabytesPerSecond:F0} MB/s ({microsPerBatch:F0} µs)"));
            }
            Console.WriteLine($"| {sourceName} | {string.Join(" | ", cells)} |");
        }
        return Task.FromResult(0);
    }

    /// <summary>One uncompressed batch of JSON page views with random ids, about 200 bytes each, from a fixed seed.</summary>
    private static byte[] UserEventBatch(int count)
    {
        var random = new Random(42);
        var records = new (byte[]? Key, byte[]? Value, long Timestamp)[count];
        string[] events = ["page_view", "click", "add_to_cart", "purchase", "search"];
        for (var i = 0; i < count; i++)
        {
            var user = $"user-{random.Next(1_000_000):D7}";
            var json = $"{{\"event_id\":\"{Guid.NewGuid()}\",\"user_id\":\"{user}\",\"event_type\":\"{events[random.Next(events.Length)]}\","
                + $"\"url\":\"https://shop.example.com/products/{random.Next(50_000)}\",\"timestamp\":\"2026-12-02T04:{random.Next(60):D2}:{random.Next(60):D2}.{random.Next(1000):D3}Z\"}}";
            records[i] = (Encoding.UTF8.GetBytes(user), Encoding.UTF8.GetBytes(json), RecordBatchBuilder.DefaultTimestamp + i);
        }
        return RecordBatchBuilder.Build(records);
    }
}
