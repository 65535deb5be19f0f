using System.CommandLine;
using System.Globalization;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using StreamingPipeline.Analytics.Ingestion;
using StreamingPipeline.Analytics.Query;
using StreamingPipeline.Analytics.Stores;
using StreamingPipeline.Cli.Analytics;
using StreamingPipeline.Cli.Options;
using StreamingPipeline.Observability.Console;
using StreamingPipeline.Processing;

namespace StreamingPipeline.Cli.Commands;

/// <summary>
/// <c>pipeline ingest</c>: loads the output topic into the analytics store (DuckDB by default, or PostgreSQL), exactly
/// once: each batch commits with its offsets in one database transaction, and a start resumes from the stored offsets.
/// </summary>
public static class IngestCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var command = new Command("ingest", "Load the output topic into the analytics store (DuckDB or PostgreSQL) exactly once, until Ctrl+C");
        var bootstrap = CommonOptions.BootstrapServers();
        var topic = CommonOptions.Topic("Topic to ingest (read_committed)", "output-user-events");
        var dlqTopic = new Option<string>("--dlq-topic") { Description = "Topic for records that are not valid events", DefaultValueFactory = _ => "user-events-dlq" };
        var store = new Option<string>("--store")
        {
            Description = $"Where rows go: duckdb[:PATH] (default {AnalyticsStoreLocation.DefaultDuckDbPath}), postgres://user:password@host:port/database or postgres:<Npgsql connection string>",
            DefaultValueFactory = _ => "duckdb",
            Validators = { r => { if (r.Tokens.Count > 0 && !AnalyticsStoreLocation.TryParse(r.Tokens[0].Value, out _, out var error)) { r.AddError($"--store: {error}"); } } },
        };
        var partitions = new Option<string?>("--partitions", "-p")
        {
            Description = "Partitions this instance ingests, e.g. 0,1,2 or 0-3 (default: all); run several instances on disjoint partitions into one PostgreSQL",
            Validators = { r => { if (r.Tokens.Count > 0 && !TryParsePartitions(r.Tokens[0].Value, out _)) { r.AddError($"--partitions expects numbers and ranges like 0,2-5, not '{r.Tokens[0].Value}'."); } } },
        };
        var batchRecords = new Option<int>("--batch-max-records")
        {
            Description = "Commit a batch once it holds this many records",
            DefaultValueFactory = _ => 50_000,
            Validators = { r => { if (r.GetValueOrDefault<int>() < 1) { r.AddError("--batch-max-records must be at least 1."); } } },
        };
        var batchDelay = CommonOptions.Duration("--batch-max-delay", "Commit a batch once its first record waited this long (bounds how late an event becomes queryable)", "200ms");
        batchDelay.Validators.Add(r =>
        {
            if (r.Tokens.Count > 0 && r.GetValueOrDefault<WrittenValue<TimeSpan>>().Value <= TimeSpan.Zero)
            {
                r.AddError("--batch-max-delay must be positive.");
            }
        });
        var exitAtEnd = new Option<bool>("--exit-at-end", "-e") { Description = "Exit once every partition is ingested to its end (like kcat -e), for one-off loads" };
        var statsInterval = CommonOptions.Duration("--stats-interval", "Interval of the plain status lines when output is not a terminal", "5s");
        var config = CommonOptions.Config("Extra librdkafka setting for the ingester's clients");
        var queryListen = QueryOptions.Listen("--query-listen", null);
        var authToken = QueryOptions.AuthToken("Bearer token the query API requires; needed for a non-loopback --query-listen");
        var verbosity = Verbosity.Create();
        foreach (var option in new Option[] { bootstrap, topic, dlqTopic, store, partitions, batchRecords, batchDelay, exitAtEnd, statsInterval, config, queryListen, authToken, verbosity })
        {
            command.Options.Add(option);
        }
        command.SetAction(async (parse, ct) =>
        {
            AnalyticsStoreLocation.TryParse(parse.GetValue(store)!, out var location, out _);
            TryParsePartitions(parse.GetValue(partitions), out var selected);
            var options = new IngestOptions
            {
                BootstrapServers = parse.GetValue(bootstrap)!,
                Topic = parse.GetValue(topic)!,
                DlqTopic = parse.GetValue(dlqTopic)!,
                Partitions = selected,
                MaxBatchRecords = parse.GetValue(batchRecords),
                MaxBatchDelay = parse.GetValue(batchDelay),
                StopAtEnd = parse.GetValue(exitAtEnd),
                ClientConfig = CommonOptions.ToDictionary(parse.GetValue(config)),
            };
            if (await BootstrapCheck.FindProblemAsync(options.BootstrapServers, ct) is { } unreachable)
            {
                await Console.Error.WriteLineAsync($"error: {unreachable}");
                return ExitCodes.Failure;
            }
            var query = parse.GetValue(queryListen) is { } listenText
                ? new QueryServerOptions { Listen = QueryOptions.ParseListen(listenText), AuthToken = parse.GetValue(authToken) }
                : null;
            if (query is not null && !System.Net.IPAddress.IsLoopback(query.Listen.Address) && string.IsNullOrEmpty(query.AuthToken))
            {
                await Console.Error.WriteLineAsync($"error: --query-listen {query.Listen} is not a loopback address: pass --auth-token or set {QueryServerOptions.AuthTokenVariable}");
                return ExitCodes.Usage;
            }
            using var loggers = Verbosity.CreateLoggerFactory(parse.GetValue(verbosity)!);
            return await RunAsync(location!, options, query, loggers, parse.GetValue(statsInterval), ct);
        });
        return command;
    }

    private static async Task<int> RunAsync(AnalyticsStoreLocation location, IngestOptions options, QueryServerOptions? query, ILoggerFactory loggers, TimeSpan statsInterval, CancellationToken cancellationToken)
    {
        var logger = loggers.CreateLogger("pipeline.ingest");
        await using var store = location.CreateStore();
        IQueryStore? queryStore = null;
        QueryServer? queryServer = null;
        WebConsole? webConsole = null;
        if (query is not null)
        {
            // The store opens (and migrates) first; for DuckDB the API's connections then join its database instance,
            // the only way to read a DuckDB file another connection of this process writes.
            await store.OpenAsync(cancellationToken);
            queryStore = location.DuckDbPath is { } path
                ? await DuckDbQueryStore.OpenAsync(path, readOnly: false, cancellationToken)
                : await PostgresQueryStore.OpenAsync(location.PostgresConnectionString!, cancellationToken);
            webConsole = new WebConsole(new WebConsoleOptions { BootstrapServers = options.BootstrapServers, DlqTopic = options.DlqTopic }, loggers);
            queryServer = await QueryServer.StartAsync(queryStore, query with { AdditionalEndpoints = [webConsole.Map] }, loggers, cancellationToken);
        }
        using var webConsoleLifetime = webConsole;
        await using var queryStoreLifetime = queryStore;
        await using var queryServerLifetime = queryServer;
        var ingester = new AnalyticsIngester(store, options, loggers);
        var run = ingester.RunAsync(cancellationToken);
        try
        {
            await IngestStatusDisplay.ShowAsync(ingester.Metrics, run, Console.IsErrorRedirected, statsInterval);
            await run;
            logger.LogInformation("ingest stopped after {Commits} commits: {Inserted} rows, {Duplicates} duplicates ignored, {Dlq} to the DLQ",
                ingester.Metrics.Commits, ingester.Metrics.Inserted, ingester.Metrics.Duplicates, ingester.Metrics.DeadLettered);
            return ExitCodes.Ok;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return ExitCodes.Ok;
        }
        catch (ProcessingConfigurationException ex)
        {
            await Console.Error.WriteLineAsync($"error: {ex.Message}");
            return ExitCodes.Failure;
        }
        catch (KafkaException ex)
        {
            await Console.Error.WriteLineAsync($"error: ingest failed: {ex.Error.Code} {ex.Error.Reason}");
            return ExitCodes.Failure;
        }
        catch (Exception ex) when (ex is System.Data.Common.DbException or IOException or TimeoutException or InvalidOperationException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync($"error: ingest into {store.Description} failed: {OneLine(ex.Message)}");
            return ExitCodes.Failure;
        }
    }

    private static string OneLine(string message) => string.Join(' ', message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));

    /// <summary>Parses <c>0,2-5</c>; null text means every partition.</summary>
    internal static bool TryParsePartitions(string? text, out IReadOnlyList<int>? partitions)
    {
        partitions = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }
        var result = new SortedSet<int>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var dash = part.IndexOf('-', 1);
            if (dash < 0)
            {
                if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var single))
                {
                    return false;
                }
                result.Add(single);
                continue;
            }
            if (!int.TryParse(part[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var first)
                || !int.TryParse(part[(dash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var last)
                || last < first || last - first > 100_000)
            {
                return false;
            }
            for (var p = first; p <= last; p++)
            {
                result.Add(p);
            }
        }
        if (result.Count == 0)
        {
            return false;
        }
        partitions = result.ToList();
        return true;
    }
}
