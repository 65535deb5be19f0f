using System.Diagnostics;
using System.Globalization;
using System.Text;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using DuckDB.NET.Data;
using Npgsql;
using NpgsqlTypes;
using StreamingPipeline.Analytics.Ingestion;
using StreamingPipeline.Analytics.Schema;
using StreamingPipeline.Analytics.Stores;
using StreamingPipeline.Events;
using StreamingPipeline.Testing;

namespace StreamingPipeline.Benchmarks;

/// <summary>
/// `pipeline ingest`'s engine (<see cref="AnalyticsIngester"/>) loading a topic of events from the embedded broker (its
/// own process) into DuckDB and into PostgreSQL (a server this benchmark starts, fsync on), each beside a same-run
/// yardstick: the store's own bulk path loading the same rows from memory, without Kafka, in transactions of the
/// same size (DuckDB's appender; PostgreSQL's binary COPY). Then freshness: events produced at a steady rate in
/// 100 ms transactions, ingested at the default batch settings; from an event's timestamp (its send time) to the
/// commit that made it queryable.
/// </summary>
public static class IngestBenchmark
{
    private const string Topic = "output-user-events";
    private const int Partitions = 4;
    private const int BatchRecords = 50_000;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    /// <summary>Runs it; arguments: [events=1000000] [rounds=2] [freshness-rate=10000] [freshness-seconds=20].</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1_000_000;
        var rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 2;
        var rate = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 10_000;
        var seconds = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 20;
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores; .NET {Environment.Version}; load average {LoadAverage()}");
        Console.WriteLine($"ingesting {count:N0} events over {Partitions} partitions, batches of {BatchRecords:N0}, best of {rounds} rounds");

        using var work = new TempDirectory("bench-ingest-");
        await using var broker = await BrokerProcess.StartAsync(work.Combine("broker"));
        await using var postgres = await PostgresServer.StartAsync(durable: true);
        await CreateTopicAsync(broker.BootstrapServers, Topic);
        var events = Enumerable.Range(0, count).Select(MakeEvent).ToList();
        Produce(broker.BootstrapServers, events);
        var rows = events.Select((e, i) => new IngestedEvent(e, i % Partitions, i / Partitions)).ToList();

        ConsumeOnly(broker, count, parse: false);
        ConsumeOnly(broker, count, parse: true);
        foreach (var variant in (Environment.GetEnvironmentVariable("BENCH_CONSUMER_VARIANTS") ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            Console.WriteLine("variant " + variant);
            ConsumeOnly(broker, count, parse: false, variant);
        }
        // The ingester's own cost without a database: a store that takes each batch and keeps nothing.
        for (var i = 0; i < int.Parse(Environment.GetEnvironmentVariable("BENCH_INGEST_NULL_STORE") ?? "0", CultureInfo.InvariantCulture); i++)
        {
            await IngestAsync(broker, new DiscardingStore(), count);
        }
        if (Environment.GetEnvironmentVariable("BENCH_CONSUMER_ONLY") is not null)
        {
            return 0;
        }
        double duckYard = 0, duckIngest = 0, pgYard = 0, pgIngest = 0;
        for (var round = 0; round < rounds; round++)
        {
            duckYard = Math.Max(duckYard, await DuckDbAppenderAsync(work.Combine($"yard-{round}.duckdb"), rows));
            duckIngest = Math.Max(duckIngest, await IngestAsync(broker, new DuckDbAnalyticsStore(work.Combine($"ingest-{round}.duckdb")), count));
            var yardDb = await postgres.CreateDatabaseAsync($"yard{round}");
            pgYard = Math.Max(pgYard, await PostgresCopyAsync(yardDb, rows));
            var ingestDb = await postgres.CreateDatabaseAsync($"ingest{round}");
            pgIngest = Math.Max(pgIngest, await IngestAsync(broker, new PostgresAnalyticsStore(ingestDb), count));
        }

        Console.WriteLine();
        Console.WriteLine("| store | ingest from the broker | yardstick (same rows from memory) | ratio |");
        Console.WriteLine("|---|---|---|---|");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| DuckDB | {duckIngest:N0} rows/s | {duckYard:N0} rows/s (appender) | {duckIngest / duckYard:0.00} |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| PostgreSQL | {pgIngest:N0} rows/s | {pgYard:N0} rows/s (binary COPY) | {pgIngest / pgYard:0.00} |"));

        var (p50, p99, ingested) = await FreshnessAsync(broker.BootstrapServers, work.Combine("fresh.duckdb"), rate, seconds);
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"freshness (DuckDB, default batch 200ms/50,000) at {rate:N0} events/s for {seconds}s, {ingested:N0} rows: p50 {p50:0} ms, p99 {p99:0} ms"));
        Console.WriteLine($"load average at the end: {LoadAverage()}");
        return 0;
    }

    private static UserEvent MakeEvent(int n) =>
        new(Guid.NewGuid(), $"user-{n % 100_000}", EventTypes.All[n % EventTypes.All.Count], $"/products/{n % 5000}", $"session-{n % 30_000}", 1_790_000_000_000 + n);

    private static void Produce(string bootstrap, List<UserEvent> events)
    {
        using var producer = new ProducerBuilder<byte[], byte[]>(KafkaClients.TransactionalProducerConfig(bootstrap, "bench-ingest-seed")).Build();
        producer.InitTransactions(Timeout);
        for (var start = 0; start < events.Count; start += 10_000)
        {
            producer.BeginTransaction();
            for (var i = start; i < Math.Min(events.Count, start + 10_000); i++)
            {
                var e = events[i];
                Send(producer, new TopicPartition(Topic, i % Partitions), new Message<byte[], byte[]> { Key = Encoding.UTF8.GetBytes(e.UserId), Value = UserEventSerializer.Serialize(e) });
            }
            producer.CommitTransaction(Timeout);
        }
    }

    private static void Send(IProducer<byte[], byte[]> producer, TopicPartition partition, Message<byte[], byte[]> message)
    {
        while (true)
        {
            try
            {
                producer.Produce(partition, message);
                return;
            }
            catch (ProduceException<byte[], byte[]> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
            {
                producer.Poll(TimeSpan.FromMilliseconds(10));
            }
        }
    }

    private static async Task<double> IngestAsync(BrokerProcess broker, IAnalyticsStore store, int count)
    {
        await using (store)
        {
            var ingester = new AnalyticsIngester(store, new IngestOptions { BootstrapServers = broker.BootstrapServers, StopAtEnd = true, MaxBatchRecords = BatchRecords });
            var wall = Stopwatch.StartNew();
            var run = ingester.RunAsync(CancellationToken.None);
            // The rate counts from the moment the ingester is assigned (store open, schema there, DLQ producer ready), as
            // the yardstick's clock starts with its connection open and schema created; the whole run is printed too.
            await ingester.Started;
            var startup = wall.Elapsed.TotalSeconds;
            var cpu = Cpu(broker);
            var gc = Gc();
            var clock = Stopwatch.StartNew();
            await run;
            var elapsed = clock.Elapsed.TotalSeconds;
            var used = Cpu(broker);
            if (ingester.Metrics.Inserted != count)
            {
                throw new InvalidOperationException($"ingested {ingester.Metrics.Inserted} rows, expected {count}");
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  ingest into {store.Description}: {count / elapsed:N0} rows/s ({elapsed:0.00} s after a start of {startup:0.00} s; {ingester.Metrics.Commits} commits, commit p50 {ingester.Metrics.CommitLatencyPercentile(50):0} ms; CPU s: this process {used.Self - cpu.Self:0.00}, broker {used.Broker - cpu.Broker:0.00}; GC {Gc().Since(gc)})"));
            return count / elapsed;
        }
    }

    /// <summary>The ingester's read side alone (read_committed consumer as it configures it, plus the validating parse): its ceiling.</summary>
    private static void ConsumeOnly(BrokerProcess broker, int count, bool parse, string extra = "")
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = broker.BootstrapServers,
            GroupId = "bench-consume-only",
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            IsolationLevel = IsolationLevel.ReadCommitted,
            EnablePartitionEof = true,
            FetchWaitMaxMs = 100,
            ConsumeResultFields = "timestamp,headers",
        };
        // Settings as key=value pairs joined by '&' (values may hold commas, e.g. consume.result.fields lists).
        foreach (var pair in extra.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            config.Set(pair[..eq], pair[(eq + 1)..]);
        }
        using var consumer = new ConsumerBuilder<byte[], byte[]>(config).SetLogHandler((_, _) => { }).Build();
        var cpu = Cpu(broker);
        var clock = Stopwatch.StartNew();
        consumer.Assign(Enumerable.Range(0, Partitions).Select(p => new TopicPartitionOffset(Topic, p, Offset.Beginning)));
        var atEnd = new HashSet<int>();
        var valid = 0;
        while (atEnd.Count < Partitions && clock.Elapsed < Timeout)
        {
            var result = consumer.Consume(100);
            if (result is null)
            {
                continue;
            }
            if (result.IsPartitionEOF)
            {
                atEnd.Add(result.Partition.Value);
                continue;
            }
            atEnd.Remove(result.Partition.Value);
            if (!parse || UserEventParser.Parse(result.Message.Value).IsValid)
            {
                valid++;
            }
        }
        var elapsed = clock.Elapsed.TotalSeconds;
        var used = Cpu(broker);
        consumer.Close();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  read side alone ({(parse ? "consume + parse" : "consume")}, no store): {valid / elapsed:N0} rows/s ({valid:N0} of {count:N0} in {elapsed:0.00} s; CPU s: this process {used.Self - cpu.Self:0.00}, broker {used.Broker - cpu.Broker:0.00})"));
    }

    private static GcCounts Gc() => new(GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration(), GC.GetTotalAllocatedBytes());

    private readonly record struct GcCounts(int Gen0, int Gen1, int Gen2, TimeSpan Pause, long Allocated)
    {
        public string Since(GcCounts start) => string.Create(CultureInfo.InvariantCulture,
            $"gen0/1/2 {Gen0 - start.Gen0}/{Gen1 - start.Gen1}/{Gen2 - start.Gen2}, pause {(Pause - start.Pause).TotalMilliseconds:0} ms, allocated {(Allocated - start.Allocated) / 1048576.0:0} MiB");
    }

    private static (double Self, double Broker) Cpu(BrokerProcess broker) =>
        (Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds, broker.Process.TotalProcessorTime.TotalSeconds);

    private static async Task<double> DuckDbAppenderAsync(string path, List<IngestedEvent> rows)
    {
        await using var connection = new DuckDBConnection($"Data Source={path}");
        await connection.OpenAsync();
        await AnalyticsSchema.EnsureDuckDbAsync(connection, CancellationToken.None);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        for (var start = 0; start < rows.Count; start += BatchRecords)
        {
            await using var transaction = await connection.BeginTransactionAsync();
            using (var appender = connection.CreateAppender("user_events"))
            {
                for (var i = start; i < Math.Min(rows.Count, start + BatchRecords); i++)
                {
                    var row = rows[i];
                    var e = row.Event;
                    appender.CreateRow().AppendValue(e.EventId).AppendValue(e.UserId).AppendValue(EventTypes.Name(e.EventType)).AppendValue(e.Page)
                        .AppendValue(e.SessionId).AppendValue(DuckDbAnalyticsStore.UtcTimestamp(e.Timestamp)).AppendValue(row.Partition).AppendValue(row.Offset).EndRow();
                }
            }
            await transaction.CommitAsync();
        }
        var elapsed = clock.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  yardstick: DuckDB appender from memory: {rows.Count / elapsed:N0} rows/s ({elapsed:0.00} s; CPU s {(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds:0.00})"));
        return rows.Count / elapsed;
    }

    private static async Task<double> PostgresCopyAsync(string connectionString, List<IngestedEvent> rows)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await AnalyticsSchema.EnsureAsync(connection, AnalyticsSchema.Postgres, CancellationToken.None);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        for (var start = 0; start < rows.Count; start += BatchRecords)
        {
            await using var transaction = await connection.BeginTransactionAsync();
            await using (var importer = await connection.BeginBinaryImportAsync("COPY user_events (eventid, userid, eventtype, page, sessionid, \"timestamp\", kafkapartition, kafkaoffset) FROM STDIN (FORMAT BINARY)"))
            {
                for (var i = start; i < Math.Min(rows.Count, start + BatchRecords); i++)
                {
                    var row = rows[i];
                    var e = row.Event;
                    await importer.StartRowAsync();
                    await importer.WriteAsync(e.EventId, NpgsqlDbType.Uuid);
                    await importer.WriteAsync(e.UserId, NpgsqlDbType.Text);
                    await importer.WriteAsync(EventTypes.Name(e.EventType), NpgsqlDbType.Text);
                    await importer.WriteAsync(e.Page, NpgsqlDbType.Text);
                    await importer.WriteAsync(e.SessionId, NpgsqlDbType.Text);
                    await importer.WriteAsync(DateTimeOffset.FromUnixTimeMilliseconds(e.Timestamp).UtcDateTime, NpgsqlDbType.TimestampTz);
                    await importer.WriteAsync(row.Partition, NpgsqlDbType.Integer);
                    await importer.WriteAsync(row.Offset, NpgsqlDbType.Bigint);
                }
                await importer.CompleteAsync();
            }
            await transaction.CommitAsync();
        }
        var elapsed = clock.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  yardstick: PostgreSQL binary COPY from memory: {rows.Count / elapsed:N0} rows/s ({elapsed:0.00} s; CPU s of this process {(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds:0.00})"));
        return rows.Count / elapsed;
    }

    private static async Task<(double P50, double P99, long Rows)> FreshnessAsync(string bootstrap, string path, int rate, int seconds)
    {
        const string freshTopic = "fresh-user-events";
        await CreateTopicAsync(bootstrap, freshTopic);
        await using var store = new DuckDbAnalyticsStore(path);
        var ingester = new AnalyticsIngester(store, new IngestOptions { BootstrapServers = bootstrap, Topic = freshTopic });
        using var stop = new CancellationTokenSource();
        var run = ingester.RunAsync(stop.Token);
        await ingester.Started;
        using var producer = new ProducerBuilder<byte[], byte[]>(KafkaClients.TransactionalProducerConfig(bootstrap, "bench-ingest-fresh")).Build();
        producer.InitTransactions(Timeout);
        var clock = Stopwatch.StartNew();
        var sent = 0L;
        var total = (long)rate * seconds;
        var n = 0;
        while (sent < total)
        {
            // One transaction per 100 ms, like the dedup job's default commit interval, each event stamped when sent.
            producer.BeginTransaction();
            var transactionEnd = clock.ElapsedMilliseconds + 100;
            while (clock.ElapsedMilliseconds < transactionEnd && sent < total)
            {
                var due = (long)(clock.Elapsed.TotalSeconds * rate);
                for (; sent < Math.Min(due, total); sent++, n++)
                {
                    var e = MakeEvent(n) with { Timestamp = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() };
                    Send(producer, new TopicPartition(freshTopic, n % Partitions), new Message<byte[], byte[]> { Key = Encoding.UTF8.GetBytes(e.UserId), Value = UserEventSerializer.Serialize(e) });
                }
                Thread.Sleep(1);
            }
            producer.CommitTransaction(Timeout);
        }
        var deadline = DateTime.UtcNow + Timeout;
        while (ingester.Metrics.Inserted < total && DateTime.UtcNow < deadline && !run.IsCompleted)
        {
            await Task.Delay(20);
        }
        var result = (ingester.Metrics.FreshnessPercentile(50), ingester.Metrics.FreshnessPercentile(99), ingester.Metrics.Inserted);
        await stop.CancelAsync();
        await run;
        return result;
    }

    /// <summary>A store that commits every batch instantly and keeps nothing: the ingester's read side and batching alone.</summary>
    private sealed class DiscardingStore : IAnalyticsStore
    {
        public string Description => "nothing (batches discarded)";

        public Task OpenAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task<IReadOnlyDictionary<int, long>> ReadOffsetsAsync(string topic, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyDictionary<int, long>>(new Dictionary<int, long>());

        public Task<BatchOutcome> CommitAsync(IngestBatch batch, CancellationToken cancellationToken) => Task.FromResult(new BatchOutcome(batch.EventCount, 0));

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    /// <summary>A yardstick row: the event as .NET values and where it was read from.</summary>
    private readonly record struct IngestedEvent(UserEvent Event, int Partition, long Offset);

    private static async Task CreateTopicAsync(string bootstrap, string name)
    {
        using var admin = KafkaClients.Admin(bootstrap);
        await admin.CreateTopicsAsync([new TopicSpecification { Name = name, NumPartitions = Partitions, ReplicationFactor = 1 }]);
    }

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}
