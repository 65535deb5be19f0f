using System.Data.Common;
using System.Globalization;
using System.Text;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using DuckDB.NET.Data;
using Npgsql;
using StreamingPipeline.Events;
using StreamingPipeline.Processing;
using Xunit.Abstractions;

namespace StreamingPipeline.EndToEnd.Tests;

/// <summary>
/// Exactly-once from Kafka into the analytics store under crashes: a transactional producer writes events (some
/// transactions aborted, some bad records) while `pipeline ingest` processes are SIGKILLed at random moments and
/// restarted. At the end, the table holds exactly the valid records of the topic's read_committed content, at their
/// partitions and offsets, and every bad record reached the DLQ.
/// </summary>
public sealed class AnalyticsIngestCrashTests(ITestOutputHelper output)
{
    private const string Topic = "output-user-events";
    private const string Dlq = "user-events-dlq";
    private const int Partitions = 4;
    private const int Kills = 6;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Ingest_into_DuckDB_is_exactly_once_across_SIGKILLs()
    {
        using var dir = new TempDirectory("ingest-crash-duckdb-");
        var path = dir.Combine("data", "analytics.duckdb");
        await RunScenarioAsync($"duckdb:{path}", [[]], seed: 11, async () =>
        {
            await using var connection = new DuckDBConnection($"Data Source={path}");
            await connection.OpenAsync();
            await AssertStoreAsync(connection);
        });
    }

    [Fact]
    public async Task Ingest_into_PostgreSQL_by_two_instances_on_disjoint_partitions_is_exactly_once_across_SIGKILLs()
    {
        await using var server = await PostgresServer.StartAsync();
        await RunScenarioAsync(server.Url(), [["--partitions", "0,1"], ["--partitions", "2-3"]], seed: 12, async () =>
        {
            await using var connection = new NpgsqlConnection(server.ConnectionString());
            await connection.OpenAsync();
            await AssertStoreAsync(connection);
        });
    }

    private string _bootstrap = "";

    /// <summary>Produces, crashes and restarts the ingesters, lets them finish, then runs <paramref name="verify"/> while the broker still runs.</summary>
    private async Task RunScenarioAsync(string store, string[][] instances, int seed, Func<Task> verify)
    {
        using var brokerData = new TempDirectory("ingest-crash-broker-");
        await using var broker = await BrokerProcess.StartAsync(brokerData.Path);
        _bootstrap = broker.BootstrapServers;
        using (var admin = KafkaClients.Admin(_bootstrap))
        {
            await admin.CreateTopicsAsync([
                new TopicSpecification { Name = Topic, NumPartitions = Partitions, ReplicationFactor = 1 },
                new TopicSpecification { Name = Dlq, NumPartitions = 1, ReplicationFactor = 1 }]);
        }
        var random = new Random(seed);
        using var stopProducing = new CancellationTokenSource();
        var producing = Task.Run(() => Produce(broker.BootstrapServers, stopProducing.Token));
        var running = new ChildProcess?[instances.Length];
        try
        {
            for (var i = 0; i < instances.Length; i++)
            {
                running[i] = StartIngester(store, instances[i]);
            }
            for (var kill = 0; kill < Kills; kill++)
            {
                var slot = kill % instances.Length;
                var victim = running[slot]!;
                // Wait until it has committed a batch, then let it work for a random while before the crash.
                await Eventually.TrueAsync(() => Commits(victim) > 0 || victim.HasExited, "the ingester commits", Timeout);
                Assert.False(victim.HasExited, $"the ingester exited on its own\n{victim.Transcript}");
                await Task.Delay(random.Next(0, 1000));
                await victim.KillAsync();
                output.WriteLine($"kill {kill + 1}: instance {slot} after {Stored(victim)}");
                await victim.DisposeAsync();
                running[slot] = StartIngester(store, instances[slot]);
            }
        }
        finally
        {
            await stopProducing.CancelAsync();
            await producing;
            foreach (var process in running)
            {
                if (process is not null)
                {
                    await process.DisposeAsync();
                }
            }
        }

        // Every instance once more, to the end of its partitions, then exit.
        foreach (var arguments in instances)
        {
            await using var last = StartIngester(store, [.. arguments, "--exit-at-end"]);
            var exitCode = await last.WaitForExitAsync(Timeout);
            output.WriteLine($"final run: {Stored(last)}");
            Assert.True(exitCode == 0, last.Transcript);
        }
        await verify();
    }

    private ChildProcess StartIngester(string store, string[] arguments) => ChildProcess.StartPipeline(
        ["ingest", "-b", _bootstrap, "--store", store, "--batch-max-delay", "50ms", "--batch-max-records", "300", "--stats-interval", "100ms", "-v", "quiet", .. arguments]);

    private static int Commits(ChildProcess process)
    {
        var match = System.Text.RegularExpressions.Regex.Match(Stored(process), @"commits=(\d+)");
        return match.Success ? int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
    }

    private static string Stored(ChildProcess process)
    {
        var lines = process.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return lines.LastOrDefault(l => l.Contains("stored=", StringComparison.Ordinal))?.Trim() ?? "(no status yet)";
    }

    /// <summary>Transactions of 50 events over all partitions; every fourth aborted; a bad record in every fifth.</summary>
    private void Produce(string bootstrap, CancellationToken stop)
    {
        using var producer = KafkaClients.TransactionalProducer(bootstrap, "ingest-crash-writer");
        producer.InitTransactions(Timeout);
        var n = 0;
        var transaction = 0;
        for (; !stop.IsCancellationRequested; transaction++)
        {
            producer.BeginTransaction();
            for (var i = 0; i < 50; i++, n++)
            {
                var e = new UserEvent(Guid.NewGuid(), $"user-{n % 97}", EventTypes.All[n % EventTypes.All.Count], $"/p/{n % 31}", $"s-{n % 11}", 1_790_000_000_000 + n);
                producer.Produce(new TopicPartition(Topic, n % Partitions), new Message<string, string> { Key = e.UserId, Value = Encoding.UTF8.GetString(UserEventSerializer.Serialize(e)) });
            }
            if (transaction % 5 == 0)
            {
                producer.Produce(new TopicPartition(Topic, transaction % Partitions), new Message<string, string> { Key = "bad", Value = $"not an event {transaction}" });
            }
            if (transaction % 4 == 3)
            {
                producer.AbortTransaction(Timeout);
            }
            else
            {
                producer.CommitTransaction(Timeout);
            }
            Thread.Sleep(20);
        }
        output.WriteLine($"producer: {n} events in transactions, every fourth aborted");
    }

    private async Task AssertStoreAsync(DbConnection connection)
    {
        var committed = KafkaClients.ReadAllBytes(_bootstrap, Topic, Partitions, IsolationLevel.ReadCommitted, Timeout);
        var expected = new List<(Guid, int, long)>();
        var bad = new HashSet<(int, long)>();
        foreach (var record in committed)
        {
            var parsed = UserEventParser.Parse(record.Message.Value ?? []);
            if (parsed.IsValid)
            {
                expected.Add((parsed.Event.EventId, record.Partition.Value, record.Offset.Value));
            }
            else
            {
                bad.Add((record.Partition.Value, record.Offset.Value));
            }
        }
        await using var command = connection.CreateCommand();
        command.CommandText = "select eventId, kafkaPartition, kafkaOffset from user_events order by 2, 3";
        var rows = new List<(Guid, int, long)>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                rows.Add((reader.GetGuid(0), reader.GetInt32(1), reader.GetInt64(2)));
            }
        }
        output.WriteLine($"topic: {committed.Count} committed records, {expected.Count} events, {bad.Count} bad; table: {rows.Count} rows");
        Assert.True(expected.Count > 1000, $"only {expected.Count} events were produced");
        Assert.Equal(expected.Count, rows.Count);
        Assert.Equal(expected, rows);

        // DLQ records: at least once each (a crash between the DLQ and database commits sends one again), nothing else.
        var dead = KafkaClients.ReadAllBytes(_bootstrap, Dlq, 1, IsolationLevel.ReadCommitted, Timeout)
            .Select(r => (int.Parse(Header(r, DeadLetterHeaders.SourcePartition), CultureInfo.InvariantCulture), long.Parse(Header(r, DeadLetterHeaders.SourceOffset), CultureInfo.InvariantCulture)))
            .ToHashSet();
        Assert.Equal(bad.Order(), dead.Order());
    }

    private static string Header(ConsumeResult<byte[], byte[]> record, string name) =>
        record.Message.Headers.TryGetLastBytes(name, out var value) ? Encoding.UTF8.GetString(value) : "";
}
