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
    public async Task TransactionMarkersGoOnceTheirTransactionsAreCleanedAwayAndReadCommittedReadersMissNothing()
    {
        const string topic = "txn-markers";
        const int finalTransactions = 3;
        await using var broker = await StartAsync();
        await CreateTopicAsync(broker, topic, new Dictionary<string, string>(SmallCompactedTopic) { ["delete.retention.ms"] = "0" });

        // Transactions (every third aborted) over key-000..key-019, then committed ones of the same producer with keys
        // never written again, then plain records that overwrite every key-0xx: the earlier transactions end up with
        // nothing left but their markers, while the same producer's later records must stay visible.
        var committed = WriteTransactions(broker, topic, "markers-tx", transactions: 12, perTransaction: 10, keys: 20, tombstones: false, finalTransactions: finalTransactions);
        var plain = ProduceWorkload(broker, topic, records: 600, keys: 20);
        var model = Model(committed.Concat(plain.Values));
        Assert.All(Enumerable.Range(0, 20), k => Assert.Contains(plain.Values, w => w.Key == $"key-{k:D3}"));

        using var consumer = KafkaClients.Reader(broker.BootstrapServers, IsolationLevel.ReadCommitted, c =>
        {
            c.MaxPartitionFetchBytes = 1024;
            c.FetchMaxBytes = 2048;
            c.MessageMaxBytes = 1000;
            c.QueuedMinMessages = 1;
            c.QueuedMaxMessagesKbytes = 1;
        });
        consumer.Assign(new TopicPartitionOffset(topic, 0, Offset.Beginning));
        var consumed = KafkaClients.ConsumeExactly(consumer, 40, Timeout);
        Assert.Equal(40, consumed.Count);

        // Pass 1 drops the transactions' records and keeps their markers; pass 2 finds no batch left, removes the
        // aborted ones' index entries and stamps the markers' delete horizon (delete.retention.ms = 0: now); pass 3
        // removes the markers. More plain writes before each round give it something dirty to clean.
        var log = broker.State.Logs.GetPartition(topic, 0)!;
        var index = broker.State.AbortedTransactions(log)!;
        Assert.Equal(4, index.Count);
        var passes = new List<StreamingPipeline.Broker.Log.Cleaner.PartitionCleaningResult>();
        for (var round = 0; round < 3; round++)
        {
            passes.Add(Assert.Single((await broker.Cleaner.RunRoundAsync().WaitAsync(Timeout)).Passes));
            if (round == 0)
            {
                Assert.Equal(12 + finalTransactions, ControlBatchesBelow(log, passes[0].EndOffset));
                Assert.Equal(4, index.Count);
            }
            foreach (var (offset, record) in ProduceWorkload(broker, topic, records: 200, keys: 20))
            {
                plain[offset] = record;
            }
            model = Model(committed.Concat(plain.Values));
        }

        Assert.Equal(0, index.Count);
        Assert.Equal(finalTransactions, ControlBatchesBelow(log, passes[0].EndOffset));
        consumed.AddRange(ConsumeToEnd(consumer));
        Assert.Equal(consumed.Select(r => r.Offset.Value).Order(), consumed.Select(r => r.Offset.Value));
        Assert.Equal(consumed.Count, consumed.Select(r => r.Offset.Value).Distinct().Count());
        Assert.DoesNotContain(consumed, r => r.Message.Value?.StartsWith("aborted", StringComparison.Ordinal) == true);

        // With delete.retention.ms = 0 a reader may miss a tombstone removed under it (Kafka's contract), so only the
        // keys that have a value must match.
        var replayed = Replay(consumed);
        Assert.All(model, entry => Assert.Equal(entry.Value, replayed.GetValueOrDefault(entry.Key)));
        var fromStart = KafkaClients.ReadAll(broker.BootstrapServers, topic, 1, IsolationLevel.ReadCommitted);
        Assert.Equal(model, Replay(fromStart));
        Assert.Equal(finalTransactions * 10, fromStart.Count(r => r.Message.Key.StartsWith("final-", StringComparison.Ordinal)));
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
    /// Writes transactions of keyed records (every third aborted after its records reached the log), then
    /// <paramref name="finalTransactions"/> committed ones whose keys ("final-t-i") are never written again; returns the
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
        CompressionType compression = CompressionType.None,
        int finalTransactions = 0)
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
        for (var t = 0; t < finalTransactions; t++)
        {
            producer.BeginTransaction();
            for (var i = 0; i < perTransaction; i++)
            {
                producer.Produce(topic, new Message<string, string> { Key = $"final-{t}-{i}", Value = $"committed-final-{t}-{i}" });
                committed.Add(($"final-{t}-{i}", $"committed-final-{t}-{i}"));
            }
            producer.CommitTransaction(Timeout);
        }
        return committed;
    }

    /// <summary>How many control batches (transaction markers) the partition holds below <paramref name="offset"/>.</summary>
    private static int ControlBatchesBelow(StreamingPipeline.Broker.Log.PartitionLog log, long offset)
    {
        var count = 0;
        var position = log.LogStartOffset;
        while (position < Math.Min(offset, log.LogEndOffset))
        {
            using var read = log.Read(position, 4096, log.HighWatermark, minOneBatch: true);
            var bytes = read.Records.Span;
            var at = 0;
            while (at < bytes.Length)
            {
                var header = new StreamingPipeline.Broker.Log.RecordBatchHeader(bytes[at..]);
                if (header.IsControl && header.LastOffset >= position && header.BaseOffset < offset)
                {
                    count++;
                }
                position = header.LastOffset + 1;
                at += header.TotalSize;
            }
        }
        return count;
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
