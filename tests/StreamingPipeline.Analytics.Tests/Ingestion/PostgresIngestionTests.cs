using Confluent.Kafka;
using Npgsql;
using StreamingPipeline.Analytics.Ingestion;
using StreamingPipeline.Analytics.Stores;
using static StreamingPipeline.Analytics.Tests.Ingestion.IngestTestData;

namespace StreamingPipeline.Analytics.Tests.Ingestion;

/// <summary>The ingester against a real PostgreSQL server the test starts (one per test class).</summary>
public sealed class PostgresIngestionTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);
    private readonly PostgresServer _server = postgres.Server;

    [Fact]
    public async Task Ingests_exactly_the_committed_events_ignores_duplicates_and_resumes_from_stored_offsets()
    {
        var database = await _server.CreateDatabaseAsync("exact");
        await using var broker = await TestBroker.StartAsync(b => b.WithTopic(Topic, 2).WithTopic(Dlq, 1));
        await ProduceTransactionAsync(broker.BootstrapServers, "writer", Enumerable.Range(0, 60).Select(n => (n % 2, Json(Event(n)))), commit: true);
        await ProduceTransactionAsync(broker.BootstrapServers, "writer", Enumerable.Range(60, 20).Select(n => (n % 2, Json(Event(n)))), commit: false);
        await ProduceAsync(broker.BootstrapServers, [(0, "{}")]);
        var first = await IngestUntilAsync(broker, database, null, m => m.Inserted >= 60 && m.DeadLettered >= 1);
        Assert.Equal(0, first.Duplicates);

        // Events 50..59 arrive again (a producer retried outside the dedup job): stored once, counted.
        await ProduceTransactionAsync(broker.BootstrapServers, "writer", Enumerable.Range(50, 20).Select(n => (n % 2, Json(Event(n)))), commit: true);
        var second = await IngestUntilAsync(broker, database, null, m => m.Inserted + m.Duplicates >= 20);
        Assert.Equal(20, second.Consumed);
        Assert.Equal(10, second.Inserted);
        Assert.Equal(10, second.Duplicates);

        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        var expected = ExpectedRows(broker.BootstrapServers, 2).DistinctBy(r => r.EventId).OrderBy(r => r.Partition).ThenBy(r => r.Offset).ToList();
        Assert.Equal(expected, await ReadRowsAsync(connection));
        var ends = KafkaClients.ReadAllBytes(broker.BootstrapServers, Topic, 2, IsolationLevel.ReadCommitted).GroupBy(r => r.Partition.Value).ToDictionary(g => g.Key, g => g.Max(r => r.Offset.Value) + 1);
        Assert.Equal(ends, await ReadOffsetsAsync(connection));
    }

    [Fact]
    public async Task A_batch_whose_commit_fails_stores_neither_its_rows_nor_its_offsets()
    {
        var database = await _server.CreateDatabaseAsync("atomic");
        await using var broker = await TestBroker.StartAsync(b => b.WithTopic(Topic, 1).WithTopic(Dlq, 1));
        await ProduceTransactionAsync(broker.BootstrapServers, "writer", Enumerable.Range(0, 10).Select(n => (0, Json(Event(n)))), commit: true);
        await using (var store = new PostgresAnalyticsStore(database))
        {
            var failCommits = false;
            store.BeforeCommit = _ => Volatile.Read(ref failCommits) ? throw new InvalidOperationException("injected failure before COMMIT") : Task.CompletedTask;
            var ingester = new AnalyticsIngester(store, Options(broker, null));
            var run = ingester.RunAsync(CancellationToken.None);
            await Eventually.TrueAsync(() => run.IsCompleted || ingester.Metrics.Inserted >= 10, "the first batch is stored", Timeout);
            Volatile.Write(ref failCommits, true);
            await ProduceTransactionAsync(broker.BootstrapServers, "writer", Enumerable.Range(10, 10).Select(n => (0, Json(Event(n)))), commit: true);
            await Assert.ThrowsAsync<InvalidOperationException>(() => run);
        }
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        Assert.Equal(10, (await ReadRowsAsync(connection)).Count);
        Assert.Equal(10, (await ReadOffsetsAsync(connection))[0]);
    }

    [Fact]
    public async Task Two_ingesters_on_disjoint_partitions_write_one_database_without_conflict()
    {
        var database = await _server.CreateDatabaseAsync("scaleout");
        await using var broker = await TestBroker.StartAsync(b => b.WithTopic(Topic, 4).WithTopic(Dlq, 1));
        await using var left = new PostgresAnalyticsStore(database);
        await using var right = new PostgresAnalyticsStore(database);
        var a = new AnalyticsIngester(left, Options(broker, [0, 1]));
        var b = new AnalyticsIngester(right, Options(broker, [2, 3]));
        using var stop = new CancellationTokenSource();
        var runs = new[] { a.RunAsync(stop.Token), b.RunAsync(stop.Token) };
        for (var round = 0; round < 5; round++)
        {
            await ProduceTransactionAsync(broker.BootstrapServers, "writer", Enumerable.Range(round * 80, 80).Select(n => (n % 4, Json(Event(n)))), commit: true);
        }
        await Eventually.TrueAsync(() => runs.Any(r => r.IsFaulted) || a.Metrics.Inserted + b.Metrics.Inserted >= 400, "both ingesters stored their partitions", Timeout);
        await stop.CancelAsync();
        await Task.WhenAll(runs);

        Assert.Equal(200, a.Metrics.Inserted);
        Assert.Equal(200, b.Metrics.Inserted);
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        Assert.Equal(ExpectedRows(broker.BootstrapServers, 4), await ReadRowsAsync(connection));
        Assert.Equal([0, 1, 2, 3], (await ReadOffsetsAsync(connection)).Keys.Order());
    }

    private static IngestOptions Options(TestBroker broker, IReadOnlyList<int>? partitions) => new()
    {
        BootstrapServers = broker.BootstrapServers,
        Partitions = partitions,
        MaxBatchDelay = TimeSpan.FromMilliseconds(50),
    };

    private static async Task<IngestMetrics> IngestUntilAsync(TestBroker broker, string database, IReadOnlyList<int>? partitions, Func<IngestMetrics, bool> done)
    {
        await using var store = new PostgresAnalyticsStore(database);
        var ingester = new AnalyticsIngester(store, Options(broker, partitions));
        using var stop = new CancellationTokenSource();
        var run = ingester.RunAsync(stop.Token);
        await Eventually.TrueAsync(() => run.IsFaulted || done(ingester.Metrics), "the ingester has stored the records", Timeout);
        await stop.CancelAsync();
        await run;
        return ingester.Metrics;
    }
}
