using System.Collections.Concurrent;
using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace StreamingPipeline.Broker.Tests.Compaction;

/// <summary>Compacted topics as Kafka clients use them, through the real Confluent.Kafka client over TCP.</summary>
public sealed class CompactedTopicClientTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static readonly Dictionary<string, string> SmallCompactedTopic = new()
    {
        ["cleanup.policy"] = "compact",
        ["segment.bytes"] = "4096",
        ["min.cleanable.dirty.ratio"] = "0.01",
    };

    [Fact]
    public async Task CreateTopicsAcceptsBothCompactPoliciesAndAKeylessRecordIsInvalidRecord()
    {
        await using var broker = await StartAsync();
        using (var admin = KafkaClients.Admin(broker.BootstrapServers))
        {
            await admin.CreateTopicsAsync(
            [
                new TopicSpecification { Name = "compacted", NumPartitions = 1, ReplicationFactor = 1, Configs = new() { ["cleanup.policy"] = "compact" } },
                new TopicSpecification { Name = "both", NumPartitions = 1, ReplicationFactor = 1, Configs = new() { ["cleanup.policy"] = "delete,compact" } },
            ]);
        }
        Assert.Equal("compact", broker.State.Logs.GetTopic("compacted")!.Config.CleanupPolicy);
        Assert.Equal("compact,delete", broker.State.Logs.GetTopic("both")!.Config.CleanupPolicy);
        using var producer = KafkaClients.Producer(broker.BootstrapServers);

        using var gzipProducer = KafkaClients.Producer(broker.BootstrapServers, c => c.CompressionType = CompressionType.Gzip);

        var keyless = await Assert.ThrowsAsync<ProduceException<string, string>>(
            () => producer.ProduceAsync("compacted", new Message<string, string> { Key = null!, Value = "no key" }));
        var keylessCompressed = await Assert.ThrowsAsync<ProduceException<string, string>>(
            () => gzipProducer.ProduceAsync("compacted", new Message<string, string> { Key = null!, Value = "no key, gzip" }));
        var keyed = await producer.ProduceAsync("compacted", new Message<string, string> { Key = "k", Value = "v" });
        var keyedCompressed = await gzipProducer.ProduceAsync("compacted", new Message<string, string> { Key = "k", Value = "v, gzip" });

        Assert.Equal(ErrorCode.InvalidRecord, keyless.Error.Code);
        Assert.Equal(ErrorCode.InvalidRecord, keylessCompressed.Error.Code);
        Assert.Equal(0, keyed.Offset.Value);
        Assert.Equal(1, keyedCompressed.Offset.Value);
    }

    [Fact]
    public async Task TheCleanerSettingsAreDescribedAsStaticBrokerConfigs()
    {
        await using var broker = await EmbeddedBroker.CreateBuilder()
            .WithOptions(o => o with { LogCleanerIoMaxBytesPerSecond = 1_048_576, LogCleanerBackoff = TimeSpan.FromSeconds(3) })
            .StartAsync();
        using var admin = KafkaClients.Admin(broker.BootstrapServers);

        var described = await admin.DescribeConfigsAsync([new ConfigResource { Type = ResourceType.Broker, Name = broker.State.Options.NodeId.ToString(System.Globalization.CultureInfo.InvariantCulture) }]);

        var entries = Assert.Single(described).Entries;
        Assert.Equal("1048576", entries["log.cleaner.io.max.bytes.per.second"].Value);
        Assert.Equal(ConfigSource.StaticBrokerConfig, entries["log.cleaner.io.max.bytes.per.second"].Source);
        Assert.Equal("3000", entries["log.cleaner.backoff.ms"].Value);
        Assert.Equal("true", entries["log.cleaner.enable"].Value);
        Assert.Equal((32L * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture), entries["log.cleaner.dedupe.buffer.size"].Value);
    }

    [Fact]
    public async Task AConsumerMidReadKeepsGoingAcrossACleaningAndEndsWithTheLatestValuePerKey()
    {
        await using var broker = await StartAsync();
        await CreateTopicAsync(broker, "table", SmallCompactedTopic);
        var written = ProduceWorkload(broker, "table", records: 3000, keys: 60);

        // Small fetches and almost no prefetching, so most of the partition is fetched after the cleaning.
        using var consumer = KafkaClients.Reader(broker.BootstrapServers, IsolationLevel.ReadUncommitted, c =>
        {
            c.MaxPartitionFetchBytes = 1024;
            c.FetchMaxBytes = 2048;
            c.MessageMaxBytes = 1000;
            c.QueuedMinMessages = 1;
            c.QueuedMaxMessagesKbytes = 1;
        });
        consumer.Assign(new TopicPartitionOffset("table", 0, Offset.Beginning));
        var consumed = KafkaClients.ConsumeExactly(consumer, 500, Timeout);
        Assert.Equal(500, consumed.Count);

        var round = await broker.Cleaner.RunRoundAsync().WaitAsync(Timeout);
        var pass = Assert.Single(round.Passes);
        consumed.AddRange(ConsumeToEnd(consumer));

        Assert.True(consumed.Count < written.Count, $"{consumed.Count} records read of {written.Count} written: the cleaning did not show");
        Assert.Equal(consumed.Select(r => r.Offset.Value).Order(), consumed.Select(r => r.Offset.Value));
        Assert.Equal(consumed.Count, consumed.Select(r => r.Offset.Value).Distinct().Count());
        Assert.All(consumed, r => Assert.Equal(written[r.Offset.Value], (r.Message.Key, r.Message.Value)));
        Assert.Equal(Model(written.Values), Replay(consumed));

        var fromStart = KafkaClients.ReadAll(broker.BootstrapServers, "table", 1, IsolationLevel.ReadUncommitted);
        Assert.Equal(ExpectedOffsets(written, pass.EndOffset), fromStart.Select(r => r.Offset.Value));
    }

    [Theory]
    [InlineData(CompressionType.None)]
    [InlineData(CompressionType.Gzip)]
    public async Task RecordsOfAbortedTransactionsDisappearAndCommittedOnesStay(CompressionType compression)
    {
        await using var broker = await StartAsync();
        await CreateTopicAsync(broker, "txn-table", SmallCompactedTopic);
        var committed = WriteTransactions(broker, "txn-table", "txn-table-tx", transactions: 24, perTransaction: 25, keys: 20, tombstones: false, compression);

        var round = await broker.Cleaner.RunRoundAsync().WaitAsync(Timeout);
        var pass = Assert.Single(round.Passes);

        var uncommitted = KafkaClients.ReadAll(broker.BootstrapServers, "txn-table", 1, IsolationLevel.ReadUncommitted);
        Assert.DoesNotContain(uncommitted, r => r.Offset.Value < pass.EndOffset && r.Message.Value.StartsWith("aborted", StringComparison.Ordinal));
        Assert.Contains(uncommitted, r => r.Offset.Value < pass.EndOffset);
        var readCommitted = KafkaClients.ReadAll(broker.BootstrapServers, "txn-table", 1, IsolationLevel.ReadCommitted);
        Assert.Equal(Model(committed), Replay(readCommitted));
        Assert.All(readCommitted, r => Assert.StartsWith("committed", r.Message.Value, StringComparison.Ordinal));
        Assert.True(readCommitted.Count(r => r.Offset.Value < pass.EndOffset) <= 20, "more than one committed record per key below the cleaned offset");
    }

    [Fact]
    public async Task AStateStoreChangelogWrittenUnderTransactionsRestoresFromTheCompactedTopic()
    {
        // The cleaner runs in the background, as in production, while the changelog is written.
        await using var broker = await StartAsync(enabled: true);
        await CreateTopicAsync(broker, "store-changelog", new Dictionary<string, string>(SmallCompactedTopic) { ["delete.retention.ms"] = "0" });
        var committed = WriteTransactions(broker, "store-changelog", "store-tx", transactions: 40, perTransaction: 20, keys: 30, tombstones: true);
        var log = broker.State.Logs.GetPartition("store-changelog", 0)!;
        await Eventually.TrueAsync(() => broker.Cleaner.TotalPasses > 0, "a background cleaning pass");
        await broker.Cleaner.RunRoundAsync().WaitAsync(Timeout);

        var restored = Replay(KafkaClients.ReadAll(broker.BootstrapServers, "store-changelog", 1, IsolationLevel.ReadCommitted));

        Assert.Equal(Model(committed), restored);
        Assert.True(log.SizeInBytes < committed.Count * 40, $"{log.SizeInBytes} bytes left for {committed.Count} committed records");
    }

    [Fact]
    public async Task ATopicAlteredToCompactAtRuntimeIsCleanedWithItsNewConfig()
    {
        await using var broker = await StartAsync();
        await CreateTopicAsync(broker, "altered", new Dictionary<string, string> { ["segment.bytes"] = "4096" });
        var written = ProduceWorkload(broker, "altered", records: 1500, keys: 30);
        Assert.True((await broker.Cleaner.RunRoundAsync().WaitAsync(Timeout)).Idle);

        using (var admin = KafkaClients.Admin(broker.BootstrapServers))
        {
            await admin.IncrementalAlterConfigsAsync(new Dictionary<ConfigResource, List<ConfigEntry>>
            {
                [new ConfigResource { Type = ResourceType.Topic, Name = "altered" }] =
                [
                    new ConfigEntry { Name = "cleanup.policy", Value = "compact", IncrementalOperation = AlterConfigOpType.Set },
                    new ConfigEntry { Name = "min.cleanable.dirty.ratio", Value = "0.01", IncrementalOperation = AlterConfigOpType.Set },
                ],
            });
        }
        var pass = Assert.Single((await broker.Cleaner.RunRoundAsync().WaitAsync(Timeout)).Passes);

        var records = KafkaClients.ReadAll(broker.BootstrapServers, "altered", 1, IsolationLevel.ReadUncommitted);
        Assert.Equal(ExpectedOffsets(written, pass.EndOffset), records.Select(r => r.Offset.Value));
        Assert.Equal(Model(written.Values), Replay(records));
    }

    private static async Task<EmbeddedBroker> StartAsync(bool enabled = false) =>
        await EmbeddedBroker.CreateBuilder()
            .WithOptions(o => o with { LogCleanerEnabled = enabled, LogCleanerBackoff = TimeSpan.FromMilliseconds(100) })
            .StartAsync();

    private static async Task CreateTopicAsync(EmbeddedBroker broker, string topic, Dictionary<string, string> configs)
    {
        using var admin = KafkaClients.Admin(broker.BootstrapServers);
        await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = 1, ReplicationFactor = 1, Configs = configs }]);
    }

    /// <summary>Writes keyed records with overwrites and some tombstones; returns offset → (key, value).</summary>
    private static SortedDictionary<long, (string Key, string? Value)> ProduceWorkload(EmbeddedBroker broker, string topic, int records, int keys)
    {
        var random = new Random(17);
        var delivered = new ConcurrentDictionary<long, (string, string?)>();
        // Batches stay below segment.bytes, which Kafka also requires of a batch.
        using var producer = KafkaClients.Producer(broker.BootstrapServers, c => c.BatchSize = 2048);
        for (var i = 0; i < records; i++)
        {
            var key = $"key-{random.Next(keys):D3}";
            var value = random.Next(12) == 0 ? null : $"value-{i}-{new string('x', random.Next(20))}";
            producer.Produce(topic, new Message<string, string> { Key = key, Value = value! }, report =>
            {
                if (report.Error.Code == ErrorCode.NoError)
                {
                    delivered[report.Offset.Value] = (key, value);
                }
            });
        }
        Assert.Equal(0, producer.Flush(Timeout));
        Assert.Equal(records, delivered.Count);
        return new SortedDictionary<long, (string, string?)>(delivered);
    }

    /// <summary>
    /// Writes transactions of keyed records (every third aborted after its records reached the log); returns the
    /// committed records in log order.
    /// </summary>
    private static List<(string Key, string? Value)> WriteTransactions(
        EmbeddedBroker broker,
        string topic,
        string transactionalId,
        int transactions,
        int perTransaction,
        int keys,
        bool tombstones,
        CompressionType compression = CompressionType.None)
    {
        var random = new Random(23);
        var committed = new List<(string Key, string? Value)>();
        using var producer = KafkaClients.TransactionalProducer(broker.BootstrapServers, transactionalId, c =>
        {
            c.BatchSize = 2048;
            c.CompressionType = compression;
        });
        producer.InitTransactions(Timeout);
        for (var t = 0; t < transactions; t++)
        {
            var abort = t % 3 == 1;
            var records = new List<(string Key, string? Value)>();
            producer.BeginTransaction();
            for (var i = 0; i < perTransaction; i++)
            {
                var key = $"key-{random.Next(keys):D3}";
                var value = tombstones && random.Next(8) == 0 ? null : $"{(abort ? "aborted" : "committed")}-{t}-{i}";
                producer.Produce(topic, new Message<string, string> { Key = key, Value = value! });
                records.Add((key, value));
            }
            producer.Flush(Timeout);
            if (abort)
            {
                producer.AbortTransaction(Timeout);
            }
            else
            {
                producer.CommitTransaction(Timeout);
                committed.AddRange(records);
            }
        }
        return committed;
    }

    private static List<ConsumeResult<string, string>> ConsumeToEnd(IConsumer<string, string> consumer)
    {
        var results = new List<ConsumeResult<string, string>>();
        var deadline = DateTime.UtcNow + Timeout;
        while (DateTime.UtcNow < deadline)
        {
            var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (result is { IsPartitionEOF: true })
            {
                return results;
            }
            if (result is not null)
            {
                results.Add(result);
            }
        }
        throw new TimeoutException("The consumer did not reach the end of the partition.");
    }

    private static IEnumerable<long> ExpectedOffsets(SortedDictionary<long, (string Key, string? Value)> written, long cleanedUpTo)
    {
        var latest = new Dictionary<string, long>();
        foreach (var (offset, (key, _)) in written.Where(w => w.Key < cleanedUpTo))
        {
            latest[key] = offset;
        }
        return latest.Values.Concat(written.Keys.Where(o => o >= cleanedUpTo)).Order();
    }

    private static Dictionary<string, string> Model(IEnumerable<(string Key, string? Value)> records)
    {
        var table = new Dictionary<string, string>();
        foreach (var (key, value) in records)
        {
            if (value is null)
            {
                table.Remove(key);
            }
            else
            {
                table[key] = value;
            }
        }
        return table;
    }

    private static Dictionary<string, string> Replay(IEnumerable<ConsumeResult<string, string>> records) =>
        Model(records.Select(r => (r.Message.Key, (string?)r.Message.Value)));
}
