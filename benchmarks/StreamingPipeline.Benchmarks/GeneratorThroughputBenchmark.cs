using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Microsoft.Extensions.Logging.Abstractions;
using StreamingPipeline.Events.Generation;
using StreamingPipeline.Events.Producing;

namespace StreamingPipeline.Benchmarks;

/// <summary>
/// Maximum generator throughput (records/s, one process) beside a yardstick measured in the same run: a bare
/// Confluent.Kafka loop producing pre-serialized 200-byte payloads with the generator's producer settings.
/// Rounds alternate yardstick and generator; each counts from the first send until every record is acknowledged.
/// <c>generator [--bootstrap-servers HOST:PORT] [--records N] [--rounds N] [--partitions N] [--duplicates S]
/// [--malformed S] [--config k=v]...</c>;
/// <c>--config</c> settings apply to both sides alike.
/// </summary>
public static class GeneratorThroughputBenchmark
{
    private const string Topic = "bench-input-user-events";

    /// <summary>Runs the comparison and prints a table.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var records = IntArg(args, "--records", 500_000);
        var rounds = IntArg(args, "--rounds", 3);
        var partitions = IntArg(args, "--partitions", 8);
        var overrides = ConfigArgs(args);
        var duplicates = DoubleArg(args, "--duplicates", 0.05);
        var malformed = DoubleArg(args, "--malformed", 0.001);
        await using var target = await GeneratorBenchmarkTarget.StartAsync(args, Topic, partitions, CancellationToken.None);
        if (target is null)
        {
            return 2;
        }
        if (!target.AutoCreatesTopics)
        {
            await EnsureTopicAsync(target.BootstrapServers, partitions);
        }
        Console.WriteLine($"target: {target.Description}; {records:N0} records a round, {rounds} rounds, {partitions} partitions; overrides: {string.Join(", ", overrides.Select(kv => $"{kv.Key}={kv.Value}"))}");

        var yardstick = new List<double>();
        var generator = new List<double>();
        for (var round = 1; round <= rounds; round++)
        {
            // Alternate which goes first, so warm-up and the broker's growing log favour neither.
            if (round % 2 == 1)
            {
                yardstick.Add(await RunYardstickAsync(target.BootstrapServers, records, overrides));
                generator.Add(await RunGeneratorAsync(target.BootstrapServers, records, seed: round, duplicates, malformed, overrides));
            }
            else
            {
                generator.Add(await RunGeneratorAsync(target.BootstrapServers, records, seed: round, duplicates, malformed, overrides));
                yardstick.Add(await RunYardstickAsync(target.BootstrapServers, records, overrides));
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round {round}: yardstick {yardstick[^1]:N0}/s, generator {generator[^1]:N0}/s"));
        }
        var y = Median(yardstick);
        var g = Median(generator);
        Console.WriteLine();
        Console.WriteLine("| run | records/s (median) | all rounds |");
        Console.WriteLine("|---|---:|---|");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| yardstick: bare Confluent.Kafka, 200-byte pre-serialized | {y:N0} | {string.Join(", ", yardstick.Select(v => v.ToString("N0", CultureInfo.InvariantCulture)))} |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| generator: pipeline produce --rate -1 | {g:N0} | {string.Join(", ", generator.Select(v => v.ToString("N0", CultureInfo.InvariantCulture)))} |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ratio generator / yardstick: {g / y:0.00} (target >= 0.90)"));
        return 0;
    }

    private static async Task<double> RunYardstickAsync(string bootstrapServers, int records, Dictionary<string, string> overrides)
    {
        const int maxInFlight = 100_000;
        var config = EventProducerConfig.Create(bootstrapServers, maxInFlight, TimeSpan.FromMinutes(2), overrides);
        using var producer = new ProducerBuilder<byte[], byte[]>(config).Build();
        // Like the generator, read the topic's metadata before the clock starts, so connecting is not timed.
        using (var admin = new DependentAdminClientBuilder(producer.Handle).Build())
        {
            admin.GetMetadata(Topic, TimeSpan.FromSeconds(10));
        }
        var payloads = Enumerable.Range(0, 1024).Select(i => Enumerable.Repeat((byte)('a' + (i % 26)), 200).ToArray()).ToArray();
        var keys = Enumerable.Range(0, 1024).Select(i => System.Text.Encoding.UTF8.GetBytes($"u-{i:D6}")).ToArray();
        long acknowledged = 0;
        long failed = 0;
        Action<DeliveryReport<byte[], byte[]>> onDelivery = r =>
        {
            if (r.Error.IsError)
            {
                Interlocked.Increment(ref failed);
            }
            else
            {
                Interlocked.Increment(ref acknowledged);
            }
        };
        var message = new Message<byte[], byte[]> { Headers = [] };
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        long settled = 0;
        var stopwatch = Stopwatch.StartNew();
        for (var i = 0; i < records; i++)
        {
            // The same in-flight bound as the generator, checked the same way (the delivery counters are re-read
            // only when an old snapshot says the bound may be reached), so neither pays for queue-full exceptions.
            if (i - settled >= maxInFlight)
            {
                settled = Interlocked.Read(ref acknowledged) + Interlocked.Read(ref failed);
                while (i - settled >= maxInFlight)
                {
                    await Task.Delay(1);
                    settled = Interlocked.Read(ref acknowledged) + Interlocked.Read(ref failed);
                }
            }
            message.Key = keys[i & 1023];
            message.Value = payloads[i & 1023];
            message.Timestamp = new Timestamp(timestamp + i, TimestampType.CreateTime);
            while (true)
            {
                try
                {
                    producer.Produce(Topic, message, onDelivery);
                    break;
                }
                catch (ProduceException<byte[], byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
                {
                    producer.Poll(TimeSpan.FromMilliseconds(1));
                }
            }
        }
        while (Interlocked.Read(ref acknowledged) + Interlocked.Read(ref failed) < records)
        {
            await Task.Delay(1);
        }
        stopwatch.Stop();
        if (failed > 0)
        {
            throw new InvalidOperationException($"yardstick: {failed} records failed");
        }
        return records / stopwatch.Elapsed.TotalSeconds;
    }

    private static async Task<double> RunGeneratorAsync(string bootstrapServers, int records, long seed, double duplicates, double malformed, Dictionary<string, string> overrides)
    {
        var options = new GeneratorOptions
        {
            Seed = seed,
            EventTimeStart = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
            MaxRecords = records,
            Users = 100_000,
            DuplicateShare = duplicates,
            MalformedShare = malformed,
        };
        var settings = new ProducerSettings { BootstrapServers = bootstrapServers, Topic = Topic, Rate = -1, Config = overrides };
        var producer = new EventProducer(options, settings, TimeProvider.System, NullLogger.Instance);
        var outcome = await producer.RunAsync(CancellationToken.None);
        if (!outcome.Succeeded)
        {
            throw new InvalidOperationException($"generator: {outcome.Error}");
        }
        return outcome.Summary.AchievedRate;
    }

    private static async Task EnsureTopicAsync(string bootstrapServers, int partitions)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrapServers }).Build();
        try
        {
            await admin.CreateTopicsAsync([new TopicSpecification { Name = Topic, NumPartitions = partitions, ReplicationFactor = 1 }]);
        }
        catch (CreateTopicsException e) when (e.Results.All(r => r.Error.Code is ErrorCode.TopicAlreadyExists or ErrorCode.NoError))
        {
            // Left over from an earlier run: fine, the benchmark only appends.
        }
    }

    private static int IntArg(string[] args, string name, int defaultValue)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : defaultValue;
    }

    private static double DoubleArg(string[] args, string name, double defaultValue)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? double.Parse(args[at + 1], CultureInfo.InvariantCulture) : defaultValue;
    }

    private static Dictionary<string, string> ConfigArgs(string[] args)
    {
        var result = new Dictionary<string, string>();
        for (var i = 0; i + 1 < args.Length; i++)
        {
            if (args[i] == "--config" && args[i + 1].IndexOf('=', StringComparison.Ordinal) is > 0 and var eq)
            {
                result[args[i + 1][..eq]] = args[i + 1][(eq + 1)..];
            }
        }
        return result;
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
}
