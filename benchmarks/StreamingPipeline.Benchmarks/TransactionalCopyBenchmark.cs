using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using StreamingPipeline.Testing;

namespace StreamingPipeline.Benchmarks;

/// <summary>
/// Transactional consume-transform-produce against the embedded broker (run as its own process, `pipeline broker`):
/// one consumer and one producer copy 200-byte records from a 4-partition input topic to an output topic. Each
/// commit interval (10 ms, 100 ms, 1 s) is one transaction holding the copied records and the consumed offsets
/// (SendOffsetsToTransaction). The yardstick, in the same run and on the same broker, is the same loop without
/// transactions: an idempotent producer, and at each interval a flush and a synchronous offset commit (the
/// at-least-once equivalent of a transaction commit). Reports throughput and commit latency p50/p99 per interval.
/// </summary>
public static class TransactionalCopyBenchmark
{
    private const int RecordBytes = 200;
    private const int Partitions = 4;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>Runs the benchmark; arguments: [records=300000] [rounds=2].</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var records = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 300_000;
        var rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 2;
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores; .NET {Environment.Version}; librdkafka {Library.VersionString}");
        Console.WriteLine($"copying {records:N0} × {RecordBytes} B records over {Partitions} partitions, best of {rounds} rounds per setting");

        using var dataDirectory = new TempDirectory("bench-txn-copy-");
        await using var broker = await BrokerProcess.StartAsync(dataDirectory.Path);
        var bootstrap = broker.BootstrapServers;
        await CreateTopicAsync(bootstrap, "copy-input");
        Seed(bootstrap, "copy-input", records);

        int[] intervals = [10, 100, 1000];
        var plain = new Dictionary<int, CopyResult>();
        var transactional = new Dictionary<int, CopyResult>();
        var run = 0;
        for (var round = 0; round < rounds; round++)
        {
            // Interleaved so that drift in the machine's speed hits both kinds alike.
            foreach (var interval in intervals)
            {
                run++;
                await CreateTopicAsync(bootstrap, $"copy-output-{run}");
                transactional[interval] = Best(transactional.GetValueOrDefault(interval), Copy(bootstrap, $"copy-output-{run}", records, interval, transactions: true));
                run++;
                await CreateTopicAsync(bootstrap, $"copy-output-{run}");
                plain[interval] = Best(plain.GetValueOrDefault(interval), Copy(bootstrap, $"copy-output-{run}", records, interval, transactions: false));
            }
        }

        Console.WriteLine();
        Console.WriteLine("| commit interval | transactional copy | commit latency p50 / p99 | commits | same loop without transactions | ratio |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var interval in intervals)
        {
            var t = transactional[interval];
            var p = plain[interval];
            Console.WriteLine(
                $"| {interval} ms | {t.RecordsPerSecond:N0} rec/s | {t.Percentile(0.50):F1} / {t.Percentile(0.99):F1} ms | {t.CommitMs.Count} "
                + $"| {p.RecordsPerSecond:N0} rec/s (flush + commit p50 {p.Percentile(0.50):F1} ms) | {t.RecordsPerSecond / p.RecordsPerSecond:F2}× |");
        }
        return 0;
    }

    private static CopyResult Best(CopyResult? current, CopyResult candidate) =>
        current is null || candidate.RecordsPerSecond > current.RecordsPerSecond ? candidate : current;

    /// <summary>Copies every input record to <paramref name="output"/>, committing every <paramref name="intervalMs"/>.</summary>
    private static CopyResult Copy(string bootstrap, string output, int records, int intervalMs, bool transactions)
    {
        var producerConfig = new ProducerConfig
        {
            BootstrapServers = bootstrap,
            EnableIdempotence = true,
            LingerMs = 5,
            BatchSize = 1_000_000,
            QueueBufferingMaxMessages = 1_000_000,
        };
        if (transactions)
        {
            producerConfig.TransactionalId = "bench-" + output;
        }
        using var producer = new ProducerBuilder<byte[], byte[]>(producerConfig).SetLogHandler((_, _) => { }).Build();
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = "bench-" + output,
            EnableAutoCommit = false,
            IsolationLevel = IsolationLevel.ReadCommitted,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            FetchMaxBytes = 50 * 1024 * 1024,
            MaxPartitionFetchBytes = 8 * 1024 * 1024,
            QueuedMaxMessagesKbytes = 256 * 1024,
        }).SetLogHandler((_, _) => { }).Build();
        if (transactions)
        {
            producer.InitTransactions(Timeout);
        }
        consumer.Assign(Enumerable.Range(0, Partitions).Select(p => new TopicPartitionOffset("copy-input", p, Offset.Beginning)));

        var interval = TimeSpan.FromMilliseconds(intervalMs);
        var next = new long[Partitions];
        var commitMs = new List<double>();
        var copied = 0;
        var watch = Stopwatch.StartNew();
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(5);
        while (copied < records)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"copied only {copied} of {records}");
            }
            if (transactions)
            {
                producer.BeginTransaction();
            }
            var due = watch.Elapsed + interval;
            var inThisCommit = 0;
            while (copied < records && watch.Elapsed < due)
            {
                var result = consumer.Consume(due - watch.Elapsed);
                if (result?.Message is null)
                {
                    continue;
                }
                ProduceWithBackPressure(producer, output, result);
                next[result.Partition.Value] = result.Offset.Value + 1;
                copied++;
                inThisCommit++;
            }
            if (inThisCommit == 0)
            {
                if (transactions)
                {
                    producer.AbortTransaction(Timeout);
                }
                continue;
            }
            var offsets = Enumerable.Range(0, Partitions).Where(p => next[p] > 0).Select(p => new TopicPartitionOffset("copy-input", p, next[p])).ToList();
            var commit = Stopwatch.StartNew();
            if (transactions)
            {
                producer.SendOffsetsToTransaction(offsets, consumer.ConsumerGroupMetadata, Timeout);
                producer.CommitTransaction(Timeout);
            }
            else
            {
                producer.Flush(Timeout);
                consumer.Commit(offsets);
            }
            commitMs.Add(commit.Elapsed.TotalMilliseconds);
        }
        watch.Stop();
        return new CopyResult(records, watch.Elapsed, commitMs);
    }

    private static void ProduceWithBackPressure(IProducer<byte[], byte[]> producer, string topic, ConsumeResult<byte[], byte[]> record)
    {
        while (true)
        {
            try
            {
                producer.Produce(new TopicPartition(topic, record.Partition), new Message<byte[], byte[]> { Key = record.Message.Key, Value = record.Message.Value });
                return;
            }
            catch (ProduceException<byte[], byte[]> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
            {
                producer.Poll(TimeSpan.FromMilliseconds(10));
            }
        }
    }

    private static void Seed(string bootstrap, string topic, int count)
    {
        using var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig
        {
            BootstrapServers = bootstrap,
            EnableIdempotence = true,
            LingerMs = 5,
            BatchSize = 1_000_000,
            QueueBufferingMaxMessages = 1_000_000,
        }).SetLogHandler((_, _) => { }).Build();
        var payload = new byte[RecordBytes];
        Random.Shared.NextBytes(payload);
        for (var i = 0; i < count; i++)
        {
            while (true)
            {
                try
                {
                    producer.Produce(new TopicPartition(topic, i % Partitions), new Message<byte[], byte[]> { Key = BitConverter.GetBytes(i), Value = payload });
                    break;
                }
                catch (ProduceException<byte[], byte[]> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
                {
                    producer.Poll(TimeSpan.FromMilliseconds(10));
                }
            }
        }
        producer.Flush(TimeSpan.FromMinutes(5));
    }

    private static async Task CreateTopicAsync(string bootstrap, string topic)
    {
        using var admin = KafkaClients.Admin(bootstrap);
        await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = Partitions, ReplicationFactor = 1 }]);
    }

    /// <summary>One copy run: how long it took and how long each commit took.</summary>
    private sealed record CopyResult(int Records, TimeSpan Elapsed, List<double> CommitMs)
    {
        public double RecordsPerSecond => Records / Elapsed.TotalSeconds;

        public double Percentile(double fraction)
        {
            if (CommitMs.Count == 0)
            {
                return double.NaN;
            }
            var sorted = CommitMs.Order().ToList();
            return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(fraction * sorted.Count) - 1)];
        }
    }
}
