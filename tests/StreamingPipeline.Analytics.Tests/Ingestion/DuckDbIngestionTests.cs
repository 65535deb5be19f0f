using System.Text;
using Confluent.Kafka;
using StreamingPipeline.Analytics.Ingestion;
using StreamingPipeline.Analytics.Stores;
using StreamingPipeline.Processing;
using static StreamingPipeline.Analytics.Tests.Ingestion.IngestTestData;

namespace StreamingPipeline.Analytics.Tests.Ingestion;

public sealed class DuckDbIngestionTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Ingests_the_committed_events_skips_aborted_ones_and_dead_letters_bad_records_with_reasons()
    {
        await using var broker = await TestBroker.StartAsync(b => b.WithTopic(Topic, 2).WithTopic(Dlq, 1));
        using var dir = new TempDirectory();
        await ProduceTransactionAsync(broker.BootstrapServers, "writer", Enumerable.Range(0, 100).Select(n => (n % 2, Json(Event(n)))), commit: true);
        await ProduceTransactionAsync(broker.BootstrapServers, "writer", Enumerable.Range(100, 20).Select(n => (n % 2, Json(Event(n)))), commit: false);
        await ProduceAsync(broker.BootstrapServers, [(0, "not json"), (1, """{"eventId":"6f1d2a34-8f0e-4c55-9a51-0d2f9b1e7a11"}"""), (1, Json(Event(199)).Replace("\"click\"", "\"teleport\"", StringComparison.Ordinal))]);
        await ProduceTransactionAsync(broker.BootstrapServers, "writer", Enumerable.Range(300, 10).Select(n => (n % 2, Json(Event(n)))), commit: true);

        await using var store = new DuckDbAnalyticsStore(dir.Combine("data", "analytics.duckdb"));
        var ingester = new AnalyticsIngester(store, Options(broker));
        using var stop = new CancellationTokenSource();
        var run = ingester.RunAsync(stop.Token);
        await Eventually.TrueAsync(() => run.IsFaulted || ingester.Metrics.Inserted + ingester.Metrics.DeadLettered >= 113, "all records are ingested", Timeout);

        // Another connection in the same process reads the committed rows while the ingester holds the writer.
        await using (var reader = await store.OpenReaderAsync(CancellationToken.None))
        {
            Assert.Equal(ExpectedRows(broker.BootstrapServers, 2), await ReadRowsAsync(reader));
            Assert.Equal(110, (await ReadRowsAsync(reader)).Count);
        }
        await stop.CancelAsync();
        await run;
        Assert.Equal(3, ingester.Metrics.DeadLettered);
        Assert.Equal(0, ingester.Metrics.Duplicates);

        var dead = KafkaClients.ReadAllBytes(broker.BootstrapServers, Dlq, 1, IsolationLevel.ReadCommitted);
        var reasons = dead.Select(r => (Header(r, DeadLetterHeaders.Code), Header(r, DeadLetterHeaders.SourceTopic), Header(r, DeadLetterHeaders.SourcePartition))).Order().ToList();
        Assert.Equal([("missing_field", Topic, "1"), ("not_json", Topic, "0"), ("unknown_event_type", Topic, "1")], reasons);
        Assert.All(dead, r => Assert.NotEmpty(Header(r, DeadLetterHeaders.Detail)));
    }

    [Fact]
    public async Task Resumes_from_the_offsets_stored_in_the_database_after_a_restart()
    {
        await using var broker = await TestBroker.StartAsync(b => b.WithTopic(Topic, 2).WithTopic(Dlq, 1));
        using var dir = new TempDirectory();
        var path = dir.Combine("analytics.duckdb");
        await ProduceTransactionAsync(broker.BootstrapServers, "writer", Enumerable.Range(0, 40).Select(n => (n % 2, Json(Event(n)))), commit: true);
        await IngestUntilAsync(broker, path, metrics => metrics.Inserted >= 40);

        await ProduceTransactionAsync(broker.BootstrapServers, "writer", Enumerable.Range(40, 30).Select(n => (n % 2, Json(Event(n)))), commit: true);
        var second = await IngestUntilAsync(broker, path, metrics => metrics.Inserted >= 30);

        Assert.Equal(30, second.Consumed);
        Assert.Equal(0, second.Duplicates);
        await using var connection = await OpenAsync(path);
        Assert.Equal(ExpectedRows(broker.BootstrapServers, 2), await ReadRowsAsync(connection));
        var ends = KafkaClients.ReadAllBytes(broker.BootstrapServers, Topic, 2, IsolationLevel.ReadCommitted).GroupBy(r => r.Partition.Value).ToDictionary(g => g.Key, g => g.Max(r => r.Offset.Value) + 1);
        Assert.Equal(ends, await ReadOffsetsAsync(connection));
    }

    [Fact]
    public async Task An_event_that_arrives_twice_is_ignored_and_counted_never_an_error()
    {
        await using var broker = await TestBroker.StartAsync(b => b.WithTopic(Topic, 1).WithTopic(Dlq, 1));
        using var dir = new TempDirectory();
        var path = dir.Combine("analytics.duckdb");
        await using var store = new DuckDbAnalyticsStore(path);
        var ingester = new AnalyticsIngester(store, Options(broker) with { MaxBatchDelay = TimeSpan.FromSeconds(1) });
        using var stop = new CancellationTokenSource();
        var run = ingester.RunAsync(stop.Token);

        await ProduceTransactionAsync(broker.BootstrapServers, "writer", Enumerable.Range(1, 10).Select(n => (0, Json(Event(n)))), commit: true);
        await Eventually.TrueAsync(() => run.IsFaulted || ingester.Metrics.Inserted >= 10, "the first ten events are stored", Timeout);
        // 5..10 were stored by an earlier batch; 14 appears twice in this one.
        await ProduceTransactionAsync(broker.BootstrapServers, "writer", Enumerable.Range(5, 10).Append(14).Select(n => (0, Json(Event(n)))), commit: true);
        await Eventually.TrueAsync(() => run.IsFaulted || ingester.Metrics.Consumed >= 21 && ingester.Metrics.Inserted + ingester.Metrics.Duplicates >= 21, "the second batch is committed", Timeout);
        await stop.CancelAsync();
        await run;

        Assert.Equal(14, ingester.Metrics.Inserted);
        Assert.Equal(7, ingester.Metrics.Duplicates);
        await using var connection = await OpenAsync(path);
        var rows = await ReadRowsAsync(connection);
        Assert.Equal(Enumerable.Range(1, 14).Select(n => Event(n).EventId).Order(), rows.Select(r => r.EventId).Order());
        Assert.Equal(22, (await ReadOffsetsAsync(connection))[0]);
    }

    [Fact]
    public async Task A_batch_whose_commit_fails_stores_neither_its_rows_nor_its_offsets()
    {
        await using var broker = await TestBroker.StartAsync(b => b.WithTopic(Topic, 1).WithTopic(Dlq, 1));
        using var dir = new TempDirectory();
        var path = dir.Combine("analytics.duckdb");
        await ProduceTransactionAsync(broker.BootstrapServers, "writer", Enumerable.Range(0, 10).Select(n => (0, Json(Event(n)))), commit: true);
        await using (var store = new DuckDbAnalyticsStore(path))
        {
            var failCommits = false;
            store.BeforeCommit = _ => Volatile.Read(ref failCommits) ? throw new InvalidOperationException("injected failure before COMMIT") : Task.CompletedTask;
            var ingester = new AnalyticsIngester(store, Options(broker));
            var run = ingester.RunAsync(CancellationToken.None);
            await Eventually.TrueAsync(() => run.IsCompleted || ingester.Metrics.Inserted >= 10, "the first batch is stored", Timeout);
            Volatile.Write(ref failCommits, true);
            await ProduceTransactionAsync(broker.BootstrapServers, "writer", Enumerable.Range(10, 10).Select(n => (0, Json(Event(n)))), commit: true);
            var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => run);
            Assert.Contains("injected", failure.Message, StringComparison.Ordinal);
        }

        await using (var connection = await OpenAsync(path))
        {
            Assert.Equal(Enumerable.Range(0, 10).Select(n => Event(n).EventId), (await ReadRowsAsync(connection)).Select(r => r.EventId));
            Assert.Equal(10, (await ReadOffsetsAsync(connection))[0]);
        }
        var resumed = await IngestUntilAsync(broker, path, metrics => metrics.Inserted >= 10);
        Assert.Equal(0, resumed.Duplicates);
        await using var after = await OpenAsync(path);
        Assert.Equal(ExpectedRows(broker.BootstrapServers, 1), await ReadRowsAsync(after));
    }

    [Fact]
    public async Task Partitions_added_to_the_topic_while_it_runs_are_ingested_without_a_restart()
    {
        await using var broker = await TestBroker.StartAsync(b => b.WithTopic(Topic, 2).WithTopic(Dlq, 1));
        using var dir = new TempDirectory();
        await using var store = new DuckDbAnalyticsStore(dir.Combine("analytics.duckdb"));
        var ingester = new AnalyticsIngester(store, Options(broker) with { PartitionDiscoveryInterval = TimeSpan.FromMilliseconds(200) });
        using var stop = new CancellationTokenSource();
        var run = ingester.RunAsync(stop.Token);
        await ProduceTransactionAsync(broker.BootstrapServers, "writer", Enumerable.Range(0, 20).Select(n => (n % 2, Json(Event(n)))), commit: true);
        await Eventually.TrueAsync(() => run.IsFaulted || ingester.Metrics.Inserted >= 20, "the first events are stored", Timeout);
        Assert.Equal([0, 1], ingester.Partitions);

        using (var admin = new AdminClientBuilder(broker.AdminConfig()).Build())
        {
            await admin.CreatePartitionsAsync([new Confluent.Kafka.Admin.PartitionsSpecification { Topic = Topic, IncreaseTo = 4 }]);
        }
        // Likely written before the ingester noticed the new partitions: discovery must start them at their beginning.
        await ProduceTransactionAsync(broker.BootstrapServers, "writer", Enumerable.Range(20, 40).Select(n => (n % 4, Json(Event(n)))), commit: true);
        await Eventually.TrueAsync(() => run.IsFaulted || ingester.Metrics.Inserted >= 60, "the events of the added partitions are stored", Timeout);
        Assert.Equal([0, 1, 2, 3], ingester.Partitions);
        Assert.Equal(4, ingester.Metrics.AssignedPartitions);

        await using (var reader = await store.OpenReaderAsync(CancellationToken.None))
        {
            Assert.Equal(ExpectedRows(broker.BootstrapServers, 4), await ReadRowsAsync(reader));
            var ends = KafkaClients.ReadAllBytes(broker.BootstrapServers, Topic, 4, IsolationLevel.ReadCommitted).GroupBy(r => r.Partition.Value).ToDictionary(g => g.Key, g => g.Max(r => r.Offset.Value) + 1);
            Assert.Equal(ends, await ReadOffsetsAsync(reader));
        }
        await stop.CancelAsync();
        await run;
        Assert.Equal(0, ingester.Metrics.Duplicates);
    }

    private static IngestOptions Options(TestBroker broker) => new()
    {
        BootstrapServers = broker.BootstrapServers,
        MaxBatchDelay = TimeSpan.FromMilliseconds(50),
    };

    private static async Task<IngestMetrics> IngestUntilAsync(TestBroker broker, string path, Func<IngestMetrics, bool> done)
    {
        await using var store = new DuckDbAnalyticsStore(path);
        var ingester = new AnalyticsIngester(store, Options(broker));
        using var stop = new CancellationTokenSource();
        var run = ingester.RunAsync(stop.Token);
        await Eventually.TrueAsync(() => run.IsFaulted || done(ingester.Metrics), "the ingester has stored the records", Timeout);
        await stop.CancelAsync();
        await run;
        return ingester.Metrics;
    }

    private static async Task<DuckDB.NET.Data.DuckDBConnection> OpenAsync(string path)
    {
        var connection = new DuckDB.NET.Data.DuckDBConnection($"Data Source={path}");
        await connection.OpenAsync();
        return connection;
    }

    private static string Header(ConsumeResult<byte[], byte[]> record, string name) =>
        record.Message.Headers.TryGetLastBytes(name, out var value) ? Encoding.UTF8.GetString(value) : "";
}
