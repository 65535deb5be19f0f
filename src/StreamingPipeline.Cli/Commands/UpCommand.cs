using System.CommandLine;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using StreamingPipeline.Analytics.Ingestion;
using StreamingPipeline.Analytics.Query;
using StreamingPipeline.Analytics.Stores;
using StreamingPipeline.Broker;
using StreamingPipeline.Cli.Options;
using StreamingPipeline.Cli.Up;
using StreamingPipeline.Events.Generation;
using StreamingPipeline.Events.Producing;
using StreamingPipeline.Jobs.Dedup;
using StreamingPipeline.Observability.Console;
using StreamingPipeline.Observability.Metrics;
using StreamingPipeline.Processing;
using StreamingPipeline.Processing.State;

namespace StreamingPipeline.Cli.Commands;

/// <summary>
/// <c>pipeline up</c>: the embedded deployment in one process. It starts the broker with the pipeline's topics, the
/// generator writing to <c>input-user-events</c> and the dedup job (24 h window, 30 min slide, RocksDB state under
/// <c>--data-dir</c>) writing <c>output-user-events</c>, the ingester loading that topic into DuckDB
/// (<c>--data-dir</c>/analytics.duckdb) and the query API with the web console on 127.0.0.1:9000 beside it (DuckDB allows one process per
/// file, so the API lives in the ingester's process). <c>--verify</c> runs for <c>--duration</c> and checks the result
/// (<see cref="UpVerifier"/>). The query API's address also serves /metrics, /healthz and /readyz of every component
/// (docs/metrics.md).
/// </summary>
public static class UpCommand
{
    /// <summary>The pipeline's topics and their default partition counts (DESIGN.md).</summary>
    public static readonly IReadOnlyList<(string Name, int Partitions)> PipelineTopics =
    [
        ("input-user-events", 8),
        ("output-user-events", 8),
        ("user-events-dlq", 1),
    ];

    /// <summary>How often the status line is printed when stderr is not a terminal.</summary>
    private static readonly TimeSpan StatusInterval = TimeSpan.FromSeconds(5);

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var dataDir = new Option<string>("--data-dir") { Description = "Where all pipeline data lives", DefaultValueFactory = _ => "./data" };
        var listen = CommonOptions.Listen("Where the embedded broker listens");
        var partitions = new Option<int>("--partitions", "-p") { Description = "Partitions of the input and output topics", DefaultValueFactory = _ => 8 };
        var rate = new Option<double>("--rate") { Description = "Events per second the generator sends (0 = no generator)", DefaultValueFactory = _ => 100 };
        var duplicates = CommonOptions.Share("--duplicates", "Share of records the generator re-sends (same eventId and bytes)", 0.05);
        var malformed = CommonOptions.Share("--malformed", "Share of malformed records the generator sends", 0.001);
        var queryListen = QueryOptions.Listen("--query-listen", QueryServerOptions.DefaultListen);
        var authToken = QueryOptions.AuthToken("Bearer token the query API requires; needed for a non-loopback --query-listen");
        var verify = new Option<bool>("--verify") { Description = "Run for --duration, stop the generator, wait for the pipeline to drain, check the store and the DLQ, exit 0 (pass) or 1" };
        var duration = CommonOptions.Duration("--duration", "How long --verify runs the generator", "60s");
        var drainTimeout = CommonOptions.Duration("--drain-timeout", "How long --verify waits for the pipeline to drain", "3m");
        var verbosity = Verbosity.Create();
        var quiet = Verbosity.CreateQuiet();
        var command = new Command("up", "Run the whole pipeline on the embedded broker until Ctrl+C (data under --data-dir survives restarts)")
        {
            dataDir, listen, partitions, rate, duplicates, malformed, queryListen, authToken, verify, duration, drainTimeout, verbosity, quiet,
        };
        command.Validators.Add(r =>
        {
            if (r.GetValue(queryListen) is { } text && QueryServerOptions.TryParseListen(text, out var endpoint, out _)
                && !System.Net.IPAddress.IsLoopback(endpoint.Address) && string.IsNullOrEmpty(r.GetValue(authToken)))
            {
                r.AddError($"--query-listen {text} is not a loopback address: pass --auth-token or set {QueryServerOptions.AuthTokenVariable}.");
            }
            if (r.GetValue(verify) && r.GetValue(rate) <= 0)
            {
                r.AddError("--verify needs the generator (--rate above 0).");
            }
        });
        rate.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<double>() < 0)
            {
                r.AddError("--rate must be 0 (no generator) or a positive number of events per second.");
            }
        });
        partitions.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 1)
            {
                r.AddError("--partitions must be at least 1.");
            }
        });
        command.SetAction(async (parse, ct) =>
        {
            using var loggers = Verbosity.CreateLoggerFactory(parse.GetValue(verbosity)!, parse.GetValue(quiet));
            var logger = loggers.CreateLogger("pipeline.up");
            var endPoint = parse.GetValue(listen)!;
            var builder = EmbeddedBroker.CreateBuilder()
                .WithDataDirectory(Path.GetFullPath(Path.Combine(parse.GetValue(dataDir)!, "broker")))
                // Topics created on first use (a client's metadata request) get the same partition count as `broker`'s.
                .WithOptions(o => o with { Host = endPoint.Address.ToString(), Port = endPoint.Port, DefaultPartitions = parse.GetValue(partitions) })
                .WithLoggerFactory(loggers);
            foreach (var (name, defaultPartitions) in PipelineTopics)
            {
                builder.WithTopic(name, defaultPartitions == 1 ? 1 : parse.GetValue(partitions));
            }
            await using var broker = await builder.StartAsync(ct);
            WarnAboutExistingPartitions(broker.BootstrapServers, parse.GetValue(partitions), parse.GetResult(partitions) is { Implicit: false }, logger);
            logger.LogInformation("Embedded broker on {Bootstrap}; topics {Topics}. Ctrl+C to stop.",
                broker.BootstrapServers, string.Join(", ", PipelineTopics.Select(t => t.Name)));
            var dataDirectory = Path.GetFullPath(parse.GetValue(dataDir)!);
            var analyticsPath = Path.Combine(dataDirectory, "analytics.duckdb");
            // The ingester opens (and migrates) the DuckDB file first; the query API's connections then join its
            // database instance and lock its configuration (external access off), which the ingester does not need.
            await using var analytics = new DuckDbAnalyticsStore(analyticsPath);
            await analytics.OpenAsync(ct);
            await using var queryStore = await DuckDbQueryStore.OpenAsync(analyticsPath, readOnly: false, ct);
            using var webConsole = new WebConsole(new WebConsoleOptions { BootstrapServers = broker.BootstrapServers, DlqTopic = PipelineTopics[2].Name }, loggers);
            var verifying = parse.GetValue(verify);
            using var status = new UpStatus(broker.BootstrapServers, PipelineTopics[0].Name, PipelineTopics[1].Name, PipelineTopics[2].Name, queryStore);
            var recovered = await status.DescribeRecoveredAsync(ct);
            var metrics = new PipelineMetrics();
            metrics.AddBroker(broker);
            metrics.SetStatus(ComponentNames.Broker, ComponentStatus.Running);
            var processor = CreateDedup(broker.BootstrapServers, Path.Combine(dataDirectory, "state"), loggers);
            metrics.AddProcessor(ComponentNames.Dedup, processor.JobName, processor.Metrics);
            status.Dedup = processor.Metrics;
            var ingester = new AnalyticsIngester(analytics, new IngestOptions
            {
                BootstrapServers = broker.BootstrapServers,
                Topic = PipelineTopics[1].Name,
                DlqTopic = PipelineTopics[2].Name,
            }, loggers);
            metrics.AddIngester(ingester.Metrics);
            status.Ingest = ingester.Metrics;
            var producer = parse.GetValue(rate) > 0
                ? CreateGenerator(broker.BootstrapServers, parse.GetValue(rate), parse.GetValue(duplicates), parse.GetValue(malformed),
                    verifying ? parse.GetValue(duration) : null, loggers)
                : null;
            if (producer is not null)
            {
                metrics.AddGenerator(producer, parse.GetValue(rate));
                status.Generator = () => producer.Progress;
            }
            metrics.Add(ComponentNames.Query, null, () => null);
            await using var queryServer = await QueryServer.StartAsync(queryStore, new QueryServerOptions
            {
                Listen = QueryOptions.ParseListen(parse.GetValue(queryListen)!),
                AuthToken = parse.GetValue(authToken),
                AdditionalEndpoints = [MetricsEndpoints.For(metrics), webConsole.Map],
            }, loggers, ct);
            metrics.SetStatus(ComponentNames.Query, ComponentStatus.Running);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var dlqStart = verifying ? UpVerifier.DlqEndOffset(broker.BootstrapServers, PipelineTopics[2].Name) : 0;
            var dedup = Tracked(metrics, ComponentNames.Dedup, RunDedupAsync(processor, loggers, stop.Token));
            var ingest = Tracked(metrics, ComponentNames.Ingest, RunIngesterAsync(ingester, loggers, stop.Token));
            var generator = producer is not null
                ? Tracked(metrics, ComponentNames.Generator, RunGeneratorAsync(producer, loggers, stop.Token))
                : Task.FromResult<(int, GeneratorSummary?)>((ExitCodes.Ok, null));
            var url = queryServer.Url.AbsoluteUri.TrimEnd('/');
            var urlOption = url == QueryCommand.DefaultUrl ? "" : $" --url {url}";
            Console.WriteLine($"Web console on {url}/ (pipeline, topics, consumer groups, DLQ, SQL)");
            Console.WriteLine($"Query API on {url}/query/sql (Pinot's broker shape). Try:");
            Console.WriteLine($"  pipeline query{urlOption} 'select eventType, count(*) as events from user_events group by 1 order by 2 desc'");
            Console.WriteLine($"  pipeline query{urlOption} 'select * from \"user-events\" limit 10'");
            status.TrackService("broker", broker.BootstrapServers);
            status.Track("generator", producer is not null ? generator : null);
            status.Track("dedup", dedup);
            status.Track("ingest", ingest);
            status.TrackService("query API", $"{url}/query/sql, web console {url}/");
            var showStatus = !verifying && !parse.GetValue(quiet);
            if (recovered is not null && !showStatus)
            {
                logger.LogInformation("{Recovered}", recovered);
            }
            var display = showStatus ? UpStatusDisplay.ShowAsync(status, recovered, Console.IsErrorRedirected, StatusInterval, ct) : Task.CompletedTask;
            var exit = ExitCodes.Ok;
            if (verifying)
            {
                var (generatorExit, summary) = await generator;
                exit = generatorExit != ExitCodes.Ok || summary is null
                    ? generatorExit
                    : await UpVerifier.RunAsync(summary, queryStore, ingester, broker.BootstrapServers, PipelineTopics[2].Name, dlqStart,
                        parse.GetValue(drainTimeout), Console.Out, ct);
                await stop.CancelAsync();
            }
            else
            {
                try
                {
                    await Task.Delay(Timeout.Infinite, ct);
                }
                catch (OperationCanceledException)
                {
                    logger.LogInformation("Stopping");
                }
            }
            await display;
            var dedupExit = await dedup;
            var ingestExit = await ingest;
            var (generatorResult, _) = await generator;
            metrics.SetStatus(ComponentNames.Query, ComponentStatus.Stopped);
            await queryServer.StopAsync(CancellationToken.None);
            return exit != ExitCodes.Ok ? exit : dedupExit != ExitCodes.Ok ? dedupExit : ingestExit != ExitCodes.Ok ? ingestExit : generatorResult;
        });
        return command;
    }

    /// <summary>Topics that already exist keep their partitions; say so when -p asked for another count.</summary>
    private static void WarnAboutExistingPartitions(string bootstrap, int requested, bool explicitlyRequested, ILogger logger)
    {
        if (!explicitlyRequested)
        {
            return;
        }
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrap }).Build();
        var metadata = admin.GetMetadata(TimeSpan.FromSeconds(10));
        foreach (var (name, defaultPartitions) in PipelineTopics.Where(t => t.Partitions > 1))
        {
            var existing = metadata.Topics.FirstOrDefault(t => t.Topic == name)?.Partitions.Count;
            if (existing is { } count && count != requested)
            {
                logger.LogWarning("{Topic} already exists with {Partitions}; --partitions {Requested} applies only to topics up creates",
                    name, count == 1 ? "1 partition" : $"{count} partitions", requested);
            }
        }
    }

    /// <summary>Marks <paramref name="component"/> running now, and stopped or failed (by its exit code) when <paramref name="run"/> ends.</summary>
    private static async Task<int> Tracked(PipelineMetrics metrics, string component, Task<int> run)
    {
        metrics.SetStatus(component, ComponentStatus.Running);
        var exit = ExitCodes.Failure;
        try
        {
            exit = await run;
            return exit;
        }
        finally
        {
            metrics.SetStatus(component, exit == ExitCodes.Ok ? ComponentStatus.Stopped : ComponentStatus.Failed);
        }
    }

    private static async Task<(int Exit, GeneratorSummary? Summary)> Tracked(PipelineMetrics metrics, string component, Task<(int Exit, GeneratorSummary? Summary)> run)
    {
        metrics.SetStatus(component, ComponentStatus.Running);
        var exit = ExitCodes.Failure;
        try
        {
            var result = await run;
            exit = result.Exit;
            return result;
        }
        finally
        {
            metrics.SetStatus(component, exit == ExitCodes.Ok ? ComponentStatus.Stopped : ComponentStatus.Failed);
        }
    }

    private static StreamProcessor CreateDedup(string bootstrap, string stateDirectory, ILoggerFactory loggers) =>
        new(
            new DedupJob(DedupWindow.Default, StateBackend.RocksDb),
            new ProcessingOptions
            {
                BootstrapServers = bootstrap,
                InputTopic = PipelineTopics[0].Name,
                OutputTopic = PipelineTopics[1].Name,
                DlqTopic = PipelineTopics[2].Name,
                GroupId = "pipeline-dedup",
                StateDirectory = stateDirectory,
            },
            loggers);

    private static async Task<int> RunDedupAsync(StreamProcessor processor, ILoggerFactory loggers, CancellationToken ct)
    {
        var logger = loggers.CreateLogger("pipeline.dedup");
        try
        {
            await processor.RunAsync(ct);
            logger.LogInformation("Dedup stopped after {Commits} commits ({Dropped} duplicates dropped, {DeadLettered} dead letters)",
                processor.Metrics.Commits, processor.Metrics.Dropped, processor.Metrics.DeadLettered);
            return ExitCodes.Ok;
        }
        catch (Exception ex) when (ex is ProcessingConfigurationException or KafkaException)
        {
            logger.LogError("Dedup stopped: {Error}", ex.Message);
            return ExitCodes.Failure;
        }
    }

    private static async Task<int> RunIngesterAsync(AnalyticsIngester ingester, ILoggerFactory loggers, CancellationToken ct)
    {
        var logger = loggers.CreateLogger("pipeline.ingest");
        try
        {
            await ingester.RunAsync(ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is ProcessingConfigurationException or KafkaException or System.Data.Common.DbException or IOException)
        {
            logger.LogError("Ingest stopped: {Error}", ex.Message);
            return ExitCodes.Failure;
        }
        logger.LogInformation("Ingest stopped after {Commits} commits: {Inserted} rows, {Duplicates} duplicates ignored, {Dlq} to the DLQ",
            ingester.Metrics.Commits, ingester.Metrics.Inserted, ingester.Metrics.Duplicates, ingester.Metrics.DeadLettered);
        return ExitCodes.Ok;
    }

    private static EventProducer CreateGenerator(string bootstrap, double rate, double duplicates, double malformed, TimeSpan? duration, ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger("pipeline.generator");
        logger.LogInformation("Generator sending {Rate} events/s to {Topic} ({Duplicates:P0} duplicates, {Malformed:P1} malformed)",
            rate, PipelineTopics[0].Name, duplicates, malformed);
        return new EventProducer(
            new GeneratorOptions
            {
                Seed = Random.Shared.NextInt64(),
                DuplicateShare = duplicates,
                MalformedShare = malformed,
                EventTimeStart = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
                EventsPerSecond = rate,
            },
            new ProducerSettings { BootstrapServers = bootstrap, Topic = PipelineTopics[0].Name, Rate = rate, Duration = duration },
            TimeProvider.System,
            logger);
    }

    private static async Task<(int Exit, GeneratorSummary? Summary)> RunGeneratorAsync(EventProducer producer, ILoggerFactory loggers, CancellationToken ct)
    {
        var logger = loggers.CreateLogger("pipeline.generator");
        var outcome = await producer.RunAsync(ct);
        if (outcome.Error is not null)
        {
            logger.LogError("Generator stopped: {Error}", outcome.Error);
            return (ExitCodes.Failure, null);
        }
        logger.LogInformation("Generator sent {Total} records", outcome.Summary.TotalRecords);
        return (ExitCodes.Ok, outcome.Summary);
    }
}
