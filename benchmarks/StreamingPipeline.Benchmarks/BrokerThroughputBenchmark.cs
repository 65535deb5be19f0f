using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using StreamingPipeline.Testing;

namespace StreamingPipeline.Benchmarks;

/// <summary>
/// Broker throughput: Confluent.Kafka producing and consuming 200-byte records against the embedded broker (run as its
/// own process, `pipeline broker`, so its RSS can be read) and, in the same run, against librdkafka's in-memory mock
/// cluster as the yardstick. The mock keeps only ~100,000 records per partition, so the consume comparison uses a run
/// that fits in it on both sides.
/// </summary>
public static class BrokerThroughputBenchmark
{
    private const int RecordBytes = 200;

    /// <summary>Runs the benchmark; arguments: [produceRecords=2000000] [consumeRecords=80000] [fsyncRecords=100000].</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var produceRecords = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 2_000_000;
        var consumeRecords = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 80_000;
        var fsyncRecords = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 100_000;
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {CpuModel()}; .NET {Environment.Version}; librdkafka {Library.VersionString}");

        using var mock = MockCluster.Start();
        Console.WriteLine($"yardstick: librdkafka mock cluster at {mock.BootstrapServers}");

        var brokerProduce = await WithBrokerAsync("os", async bootstrap =>
        {
            await CreateTopicAsync(bootstrap, "bench", 4);
            var produce = Produce(bootstrap, "bench", produceRecords);
            var consume = Consume(bootstrap, "bench", produceRecords);
            return (produce, consume);
        });
        // The mock cluster has no controller for CreateTopics; it creates topics on first use with 4 partitions.
        var mockProduce = Produce(mock.BootstrapServers, "bench", produceRecords);
        var brokerConsume = await WithBrokerAsync("os", async bootstrap =>
        {
            await CreateTopicAsync(bootstrap, "small", 4);
            Produce(bootstrap, "small", consumeRecords);
            return (Consume(bootstrap, "small", consumeRecords), default(Rate));
        });
        Produce(mock.BootstrapServers, "small", consumeRecords);
        mock.RequirePartitions("small", 4);
        var mockConsume = Consume(mock.BootstrapServers, "small", consumeRecords);
        var fsync = await WithBrokerAsync("every-write", async bootstrap =>
        {
            await CreateTopicAsync(bootstrap, "durable", 4);
            return (Produce(bootstrap, "durable", fsyncRecords), default(Rate));
        });

        Console.WriteLine();
        Console.WriteLine("| measurement | embedded broker | mock cluster (yardstick) | ratio |");
        Console.WriteLine("|---|---|---|---|");
        Row($"produce {produceRecords:N0} × {RecordBytes} B (acks=all, idempotent, linger 5 ms)", brokerProduce.Result.Item1, mockProduce);
        Row($"consume {consumeRecords:N0} × {RecordBytes} B over 4 partitions", brokerConsume.Result.Item1, mockConsume);
        Console.WriteLine($"| consume {produceRecords:N0} × {RecordBytes} B (broker only; the mock cannot hold them) | {brokerProduce.Result.Item2} | – | – |");
        Console.WriteLine($"| produce {fsyncRecords:N0} × {RecordBytes} B with fsync on every write | {fsync.Result.Item1} | – | {fsync.Result.Item1.RecordsPerSecond / brokerProduce.Result.Item1.RecordsPerSecond:F2}× of page-cache produce |");
        Console.WriteLine($"| broker RSS after the {produceRecords:N0}-record run | {brokerProduce.RssBytes / (1024.0 * 1024):F0} MiB | – | – |");
        Console.WriteLine($"| broker CPU for producing and consuming {produceRecords:N0} records | {brokerProduce.BrokerCpu.TotalSeconds:F1} s ({brokerProduce.BrokerCpu.TotalMicroseconds / produceRecords / 2:F2} µs per record per direction) | – | – |");
        return 0;
    }

    private static void Row(string what, Rate broker, Rate yardstick) =>
        Console.WriteLine($"| {what} | {broker} | {yardstick} | {broker.RecordsPerSecond / yardstick.RecordsPerSecond:F2}× |");

    /// <summary>Starts `pipeline broker` on a fresh data directory, runs <paramref name="work"/>, reads the broker's RSS, stops it.</summary>
    private static async Task<((Rate, Rate) Result, long RssBytes, TimeSpan BrokerCpu)> WithBrokerAsync(string flush, Func<string, Task<(Rate, Rate)>> work)
    {
        using var dataDirectory = new TempDirectory("bench-broker-");
        await using var broker = await BrokerProcess.StartAsync(dataDirectory.Path, arguments: ["--flush", flush]);
        var cpuBefore = broker.Process.TotalProcessorTime;
        var result = await work(broker.BootstrapServers);
        return (result, broker.Process.WorkingSetBytes, broker.Process.TotalProcessorTime - cpuBefore);
    }

    private static Rate Produce(string bootstrap, string topic, int count)
    {
        using var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig
        {
            BootstrapServers = bootstrap,
            Acks = Acks.All,
            EnableIdempotence = true,
            LingerMs = 5,
            BatchSize = 1_000_000,
            MessageMaxBytes = 1_000_000,
            QueueBufferingMaxMessages = 1_000_000,
        }).SetLogHandler((_, _) => { }).Build();
        var payload = new byte[RecordBytes];
        Random.Shared.NextBytes(payload);
        var keys = Enumerable.Range(0, 1024).Select(i => BitConverter.GetBytes(i)).ToArray();
        long failed = 0;
        Action<DeliveryReport<byte[], byte[]>> report = r =>
        {
            if (r.Error.IsError)
            {
                Interlocked.Increment(ref failed);
            }
        };
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            while (true)
            {
                try
                {
                    producer.Produce(topic, new Message<byte[], byte[]> { Key = keys[i & 1023], Value = payload }, report);
                    break;
                }
                catch (ProduceException<byte[], byte[]> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
                {
                    producer.Poll(TimeSpan.FromMilliseconds(10));
                }
            }
        }
        producer.Flush(TimeSpan.FromMinutes(5));
        watch.Stop();
        if (failed > 0)
        {
            throw new InvalidOperationException($"{failed} records failed to produce to {bootstrap}");
        }
        return new Rate(count, count * (long)RecordBytes, watch.Elapsed);
    }

    /// <summary>Consumes <paramref name="count"/> records from the beginning, timed from the first record received.</summary>
    private static Rate Consume(string bootstrap, string topic, int count)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = "bench-" + Guid.NewGuid(),
            EnableAutoCommit = false,
            FetchMaxBytes = 50 * 1024 * 1024,
            MaxPartitionFetchBytes = 1024 * 1024,
            QueuedMaxMessagesKbytes = 256 * 1024,
        }).SetLogHandler((_, _) => { }).Build();
        consumer.Assign(Enumerable.Range(0, 4).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var received = 0;
        long bytes = 0;
        Stopwatch? watch = null;
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(5);
        while (received < count && DateTime.UtcNow < deadline)
        {
            var result = consumer.Consume(TimeSpan.FromMilliseconds(100));
            if (result?.Message is null)
            {
                continue;
            }
            watch ??= Stopwatch.StartNew();
            received++;
            bytes += result.Message.Value.Length;
        }
        if (received < count)
        {
            throw new InvalidOperationException($"consumed only {received} of {count} from {bootstrap}");
        }
        return new Rate(received, bytes, watch!.Elapsed);
    }

    private static async Task CreateTopicAsync(string bootstrap, string topic, int partitions)
    {
        using var admin = KafkaClients.Admin(bootstrap);
        await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = partitions, ReplicationFactor = 1 }]);
    }

    private static string CpuModel() =>
        File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU"
            : "unknown CPU";

    /// <summary>A measured rate.</summary>
    private readonly record struct Rate(long Records, long Bytes, TimeSpan Elapsed)
    {
        public double RecordsPerSecond => Records / Elapsed.TotalSeconds;

        public override string ToString() =>
            Records == 0 ? "–" : $"{RecordsPerSecond:N0} rec/s, {Bytes / Elapsed.TotalSeconds / (1024 * 1024):F1} MiB/s";
    }

    /// <summary>librdkafka's built-in mock cluster, hosted by a client that stays alive while the benchmark runs.</summary>
    private sealed class MockCluster : IDisposable
    {
        private readonly IAdminClient _host;

        private MockCluster(IAdminClient host, string bootstrapServers)
        {
            _host = host;
            BootstrapServers = bootstrapServers;
        }

        public string BootstrapServers { get; }

        public static MockCluster Start()
        {
            var config = new AdminClientConfig();
            config.Set("test.mock.num.brokers", "1");
            var host = new AdminClientBuilder(config).SetLogHandler((_, _) => { }).Build();
            var broker = host.GetMetadata(TimeSpan.FromSeconds(10)).Brokers.Single();
            return new MockCluster(host, $"{broker.Host}:{broker.Port}");
        }

        public void RequirePartitions(string topic, int partitions)
        {
            var actual = _host.GetMetadata(topic, TimeSpan.FromSeconds(10)).Topics.Single().Partitions.Count;
            if (actual != partitions)
            {
                throw new InvalidOperationException($"mock topic {topic} has {actual} partitions, the comparison needs {partitions}");
            }
        }

        public void Dispose() => _host.Dispose();
    }
}
