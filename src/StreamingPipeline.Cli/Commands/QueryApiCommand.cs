using System.CommandLine;
using Microsoft.Extensions.Logging;
using StreamingPipeline.Analytics.Query;
using StreamingPipeline.Cli.Options;
using StreamingPipeline.Observability.Console;

namespace StreamingPipeline.Cli.Commands;

/// <summary>
/// <c>pipeline query-api --store postgres://...</c>: the query API on its own, for a store no process of this
/// pipeline writes in-process: PostgreSQL (any number of ingesters elsewhere), or a DuckDB file no ingester has open
/// (read-only). For a DuckDB file being ingested, the ingester serves the API (<c>pipeline ingest --query-listen</c>,
/// <c>pipeline up</c>) because DuckDB allows one process per file.
/// </summary>
public static class QueryApiCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var store = QueryOptions.Store("Store to serve: postgres://user@host:port/database, postgres:Host=..., or duckdb[:PATH] (read-only)", "duckdb");
        var listen = QueryOptions.Listen("--listen", QueryServerOptions.DefaultListen);
        var token = QueryOptions.AuthToken("Bearer token every request must carry; required for a non-loopback --listen");
        var timeout = QueryOptions.Timeout();
        var maxRows = QueryOptions.MaxRows();
        var bootstrap = new Option<string?>("--bootstrap-servers", "-b", "--bootstrap-server")
        {
            Description = "Kafka bootstrap servers the web console's topic, group and DLQ pages read (default: none, those pages say so)",
        };
        var dlqTopic = new Option<string>("--dlq-topic") { Description = "The DLQ topic the web console shows", DefaultValueFactory = _ => "user-events-dlq" };
        var verbosity = Verbosity.Create();
        var command = new Command("query-api", "Serve the Pinot-shaped SQL API (POST /query/sql) and the web console over a store until Ctrl+C")
        {
            store, listen, token, timeout, maxRows, bootstrap, dlqTopic, verbosity,
        };
        command.SetAction(async (parse, ct) =>
        {
            using var loggers = Verbosity.CreateLoggerFactory(parse.GetValue(verbosity)!);
            using var webConsole = new WebConsole(new WebConsoleOptions { BootstrapServers = parse.GetValue(bootstrap), DlqTopic = parse.GetValue(dlqTopic)! }, loggers);
            var options = new QueryServerOptions
            {
                AdditionalEndpoints = [webConsole.Map],
                Listen = QueryOptions.ParseListen(parse.GetValue(listen)!),
                AuthToken = parse.GetValue(token),
                Limits = new QueryLimits { Timeout = parse.GetValue(timeout), MaxRows = parse.GetValue(maxRows) },
            };
            if (!System.Net.IPAddress.IsLoopback(options.Listen.Address) && string.IsNullOrEmpty(options.AuthToken))
            {
                await Console.Error.WriteLineAsync($"error: --listen {parse.GetValue(listen)} is not a loopback address: pass --auth-token or set {QueryServerOptions.AuthTokenVariable}");
                return ExitCodes.Usage;
            }
            await using var queryStore = await QueryStores.OpenAsync(parse.GetValue(store)!, ct);
            await using var server = await QueryServer.StartAsync(queryStore, options, loggers, ct);
            Console.WriteLine($"Web console on {server.Url}");
            Console.WriteLine($"Query API on {server.Url} — try: pipeline query --url {server.Url.AbsoluteUri.TrimEnd('/')} \"select * from \\\"user-events\\\" limit 10\"");
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
                loggers.CreateLogger("pipeline.query-api").LogInformation("Stopping");
            }
            await server.StopAsync(CancellationToken.None);
            return ExitCodes.Ok;
        });
        return command;
    }
}
