using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using StreamingPipeline.Broker;
using StreamingPipeline.Testing;

namespace StreamingPipeline.Benchmarks;

/// <summary>
/// Log compaction: the cleaner's throughput (MiB of log rewritten per second, one pass over a freshly written keyed
/// topic), and what the cleaner costs a concurrent produce/consume load on a compacted topic: the same load on two
/// brokers in the same run, one with the cleaner off and then one per cleaner I/O rate (10 ms backoff, 1 MiB segments,
/// the given min.cleanable.dirty.ratio: Kafka's default 0.5, or 0.01 to clean after nearly every segment roll). Embedded brokers in this process, Confluent.Kafka clients over TCP.
/// </summary>
public static class CompactionBenchmark
{
    private const int RecordBytes = 200;

    /// <summary>
    /// Arguments: [cleanRecords=1000000] [cleanKeys=100000] [loadRecords=400000] [loadKeys=20000] [loadDirtyRatio=0.5]
    /// [cleanerIoRates=unlimited,4MiB] [rounds=1]. Each round runs the load with the cleaner off and once per I/O rate
    /// (log.cleaner.io.max.bytes.per.second) with it on, in an order rotated from round to round, so every ratio
    /// compares runs taken a minute or two apart.
    /// </summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var cleanRecords = Arg(args, 0, 1_000_000);
        var cleanKeys = Arg(args, 1, 100_000);
        var loadRecords = Arg(args, 2, 400_000);
        var loadKeys = Arg(args, 3, 20_000);
        var dirtyRatio = args.Length > 4 ? args[4] : "0.5";
        var rates = (args.Length > 5 ? args[5] : "unlimited,4MiB").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var rounds = Arg(args, 6, 1);
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores; .NET {Environment.Version}; librdkafka {Library.VersionString}; load average {LoadAverage()}");

        if (cleanRecords > 0)
        {
            var (cleanSeconds, bytesRead, bytesWritten, passes, mapBytes, cleanerCpu) = await MeasureCleanerAsync(cleanRecords, cleanKeys);
            Console.WriteLine($"| cleaner throughput (unthrottled): {cleanRecords:N0} × {RecordBytes} B records over {cleanKeys:N0} keys, {passes} pass(es), map {mapBytes / (1024 * 1024)} MiB | {bytesRead / cleanSeconds / (1024 * 1024):F1} MiB/s of log cleaned ({bytesRead / (1024.0 * 1024):F0} MiB → {bytesWritten / (1024.0 * 1024):F1} MiB in {cleanSeconds:F2} s); cleaner thread {cleanerCpu:F2} CPU s = {cleanerCpu / (bytesRead / (100.0 * 1024 * 1024)):F2} CPU s per 100 MiB |");
        }
        Console.WriteLine($"load: produce {loadRecords:N0} × {RecordBytes} B over {loadKeys:N0} keys to a compacted topic (1 MiB segments, min.cleanable.dirty.ratio {dirtyRatio}, cleaner backoff 10 ms) with a consumer catching up concurrently");
        Console.WriteLine();
        Console.WriteLine("| round | cleaner | produce rec/s | consume offsets/s | cleaned meanwhile | throttled | process CPU s | cleaner thread CPU s (of process CPU with cleaner off) | load average |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        for (var round = 1; round <= rounds; round++)
        {
            // The runs of a round go in a rotated order, so no setting always runs first (or right after a cleaning).
            var results = new Dictionary<string, LoadResult>();
            var settings = new List<string> { "off" };
            settings.AddRange(rates);
            for (var i = 0; i < settings.Count; i++)
            {
                var setting = settings[(i + round - 1) % settings.Count];
                results[setting] = await MeasureLoadAsync(loadRecords, loadKeys, dirtyRatio, setting == "off" ? null : ParseRate(setting));
            }
            var without = results["off"];
            Console.WriteLine($"| {round} | off | {without.ProducePerSecond:N0} | {without.ConsumeOffsetsPerSecond:N0} | – | – | {without.CpuSeconds:F1} | – | {LoadAverage()} |");
            foreach (var rate in rates)
            {
                var with = results[rate];
                Console.WriteLine(
                    $"| {round} | {rate} | {with.ProducePerSecond:N0} ({Change(with.ProducePerSecond, without.ProducePerSecond)}) | {with.ConsumeOffsetsPerSecond:N0} ({Change(with.ConsumeOffsetsPerSecond, without.ConsumeOffsetsPerSecond)}) " +
                    $"| {with.CleanedBytes / (1024.0 * 1024):F0} MiB in {with.CleanerPasses} passes | {with.Throttled.TotalSeconds:F1} s | {with.CpuSeconds:F1} | {with.CleanerCpuSeconds:F2} ({with.CleanerCpuSeconds / without.CpuSeconds * 100:F0} %) | {LoadAverage()} |");
            }
        }
        return 0;
    }

    private static double ParseRate(string text) =>
        text == "unlimited" ? double.PositiveInfinity
        : text.EndsWith("MiB", StringComparison.Ordinal) ? double.Parse(text[..^3], CultureInfo.InvariantCulture) * 1024 * 1024
        : double.Parse(text, CultureInfo.InvariantCulture);

    private static async Task<(double Seconds, long BytesRead, long BytesWritten, int Passes, long MapBytes, double CleanerCpuSeconds)> MeasureCleanerAsync(int records, int keys)
    {
        await using var broker = await EmbeddedBroker.CreateBuilder().WithOptions(o => o with { LogCleanerEnabled = false, LogCleanerIoMaxBytesPerSecond = double.PositiveInfinity }).StartAsync();
        await CreateTopicAsync(broker.BootstrapServers, "table", "16777216", "0.01");
        Produce(broker.BootstrapServers, "table", records, keys);
        var cpuBefore = CleanerThreadCpuSeconds();
        var watch = Stopwatch.StartNew();
        long read = 0, written = 0;
        var passes = 0;
        while (true)
        {
            var round = await broker.Cleaner.RunRoundAsync();
            if (round.Idle)
            {
                break;
            }
            passes += round.Passes.Count;
            read += round.BytesRead;
            written += round.Passes.Sum(p => p.BytesWritten);
        }
        watch.Stop();
        return (watch.Elapsed.TotalSeconds, read, written, passes, broker.Cleaner.MapMemoryBytes, CleanerThreadCpuSeconds() - cpuBefore);
    }

    private static async Task<LoadResult> MeasureLoadAsync(int records, int keys, string dirtyRatio, double? cleanerRate)
    {
        await using var broker = await EmbeddedBroker.CreateBuilder()
            .WithOptions(o => o with
            {
                LogCleanerEnabled = cleanerRate is not null,
                LogCleanerBackoff = TimeSpan.FromMilliseconds(10),
                LogCleanerIoMaxBytesPerSecond = cleanerRate ?? double.PositiveInfinity,
            })
            .StartAsync();
        await CreateTopicAsync(broker.BootstrapServers, "load", "1048576", dirtyRatio);
        var bytesBefore = broker.Cleaner.TotalBytesRead;
        var passesBefore = broker.Cleaner.TotalPasses;
        using var stop = new CancellationTokenSource();
        var consumer = Task.Run(() => ConsumeUntil(broker.BootstrapServers, "load", records, stop.Token));
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var cleanerCpuBefore = CleanerThreadCpuSeconds();
        var watch = Stopwatch.StartNew();
        Produce(broker.BootstrapServers, "load", records, keys);
        var produceSeconds = watch.Elapsed.TotalSeconds;
        var consumeSeconds = await consumer;
        return new LoadResult(
            records / produceSeconds,
            records / consumeSeconds,
            broker.Cleaner.TotalBytesRead - bytesBefore,
            broker.Cleaner.TotalPasses - passesBefore,
            broker.Cleaner.TotalThrottled,
            (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds,
            CleanerThreadCpuSeconds() - cleanerCpuBefore);
    }

    private static void Produce(string bootstrap, string topic, int count, int keys)
    {
        using var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig
        {
            BootstrapServers = bootstrap,
            Acks = Acks.All,
            EnableIdempotence = true,
            LingerMs = 5,
            BatchSize = 256 * 1024,
            QueueBufferingMaxMessages = 1_000_000,
        }).SetLogHandler((_, _) => { }).Build();
        var payload = new byte[RecordBytes];
        Random.Shared.NextBytes(payload);
        var random = new Random(1);
        long failed = 0;
        Action<DeliveryReport<byte[], byte[]>> report = r =>
        {
            if (r.Error.IsError)
            {
                Interlocked.Increment(ref failed);
            }
        };
        for (var i = 0; i < count; i++)
        {
            var key = BitConverter.GetBytes(random.Next(keys));
            while (true)
            {
                try
                {
                    producer.Produce(topic, new Message<byte[], byte[]> { Key = key, Value = payload }, report);
                    break;
                }
                catch (ProduceException<byte[], byte[]> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
                {
                    producer.Poll(TimeSpan.FromMilliseconds(10));
                }
            }
        }
        producer.Flush(TimeSpan.FromMinutes(5));
        if (failed > 0)
        {
            throw new InvalidOperationException($"{failed} records failed to produce");
        }
    }

    /// <summary>Reads from the start until the consumer passed offset <paramref name="endOffset"/>-1; returns the seconds from the first record.</summary>
    private static double ConsumeUntil(string bootstrap, string topic, long endOffset, CancellationToken cancellationToken)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = "bench-" + Guid.NewGuid(),
            EnableAutoCommit = false,
            FetchWaitMaxMs = 10,
        }).SetLogHandler((_, _) => { }).Build();
        consumer.Assign(new TopicPartitionOffset(topic, 0, Offset.Beginning));
        Stopwatch? watch = null;
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(10);
        while (DateTime.UtcNow < deadline && !cancellationToken.IsCancellationRequested)
        {
            var result = consumer.Consume(TimeSpan.FromMilliseconds(100));
            if (result?.Message is null)
            {
                continue;
            }
            watch ??= Stopwatch.StartNew();
            if (result.Offset.Value >= endOffset - 1)
            {
                return watch.Elapsed.TotalSeconds;
            }
        }
        throw new TimeoutException($"The consumer did not reach offset {endOffset - 1}.");
    }

    private static async Task CreateTopicAsync(string bootstrap, string topic, string segmentBytes, string dirtyRatio)
    {
        using var admin = KafkaClients.Admin(bootstrap);
        await admin.CreateTopicsAsync(
        [
            new TopicSpecification
            {
                Name = topic,
                NumPartitions = 1,
                ReplicationFactor = 1,
                Configs = new() { ["cleanup.policy"] = "compact", ["segment.bytes"] = segmentBytes, ["min.cleanable.dirty.ratio"] = dirtyRatio },
            },
        ]);
    }

    private static int Arg(string[] args, int index, int fallback) =>
        args.Length > index ? int.Parse(args[index], CultureInfo.InvariantCulture) : fallback;

    private static string Change(double value, double baseline) => $"{(value / baseline - 1) * 100:+0.0;-0.0} %";

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    private readonly record struct LoadResult(double ProducePerSecond, double ConsumeOffsetsPerSecond, long CleanedBytes, long CleanerPasses, TimeSpan Throttled, double CpuSeconds, double CleanerCpuSeconds);

    /// <summary>
    /// CPU seconds (user + system) of the broker's log-cleaner threads so far, from /proc (Linux; 0 elsewhere). One
    /// broker runs at a time, and a stopped broker's thread is gone, so the sum is the current broker's cleaner.
    /// </summary>
    private static double CleanerThreadCpuSeconds()
    {
        if (!Directory.Exists("/proc/self/task"))
        {
            return 0;
        }
        double seconds = 0;
        foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            try
            {
                if (File.ReadAllText(Path.Combine(task, "comm")).Trim() != StreamingPipeline.Broker.Log.Cleaner.LogCleaner.ThreadName)
                {
                    continue;
                }
                // Fields after the parenthesised name: state is field 3, utime 14 and stime 15, in clock ticks (100 Hz).
                var stat = File.ReadAllText(Path.Combine(task, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                seconds += (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
            }
            catch (IOException)
            {
                // The thread ended meanwhile.
            }
        }
        return seconds;
    }
}
