using System.CommandLine;
using StreamingPipeline.Analytics.Query;
using StreamingPipeline.Cli.Options;
using StreamingPipeline.Cli.Output;

namespace StreamingPipeline.Cli.Commands;

/// <summary>
/// <c>pipeline query "SQL"</c>: runs one read-only query against the query API (<c>--url</c>, default the local
/// <c>pipeline up</c>) or a store directly (<c>--store</c>), and prints the rows as a table, JSON or CSV. A query the
/// database refuses prints its message on one line and exits 3.
/// </summary>
public static class QueryCommand
{
    /// <summary>The query API <c>pipeline up</c> serves.</summary>
    public const string DefaultUrl = "http://127.0.0.1:9000";

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var sql = new Argument<string>("sql") { Description = "The query, e.g. \"select eventType, count(*) from user_events group by 1\"" };
        var url = new Option<string>("--url")
        {
            Description = "Query API to ask (Pinot's broker works too)",
            DefaultValueFactory = _ => DefaultUrl,
            Validators =
            {
                r =>
                {
                    var value = r.Tokens.Count > 0 ? r.Tokens[0].Value : DefaultUrl;
                    if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
                    {
                        r.AddError($"--url must be an http:// or https:// URL, not '{value}'.");
                    }
                },
            },
        };
        var store = QueryOptions.Store("Query this store directly instead of the API: duckdb[:PATH] (opened read-only; not while an ingester has it open), postgres://...", null);
        var token = QueryOptions.AuthToken("Bearer token for the query API");
        var output = OutputFormatOption.Create();
        var timeout = QueryOptions.Timeout("--timeout");
        var maxRows = QueryOptions.MaxRows();
        var command = new Command("query", "Run a read-only SQL query on the analytics store and print the rows")
        {
            sql, url, store, token, output, timeout, maxRows,
        };
        command.Validators.Add(r =>
        {
            if (string.IsNullOrWhiteSpace(r.GetValue(sql)))
            {
                r.AddError("the query is empty.");
            }
            if (r.GetResult(store) is { Implicit: false } && r.GetResult(url) is { Implicit: false })
            {
                r.AddError("--url and --store exclude each other.");
            }
        });
        command.SetAction(async (parse, ct) =>
        {
            var text = parse.GetValue(sql)!;
            var limits = new QueryLimits { Timeout = parse.GetValue(timeout), MaxRows = parse.GetValue(maxRows) };
            QueryResponse response;
            try
            {
                response = parse.GetValue(store) is { } storeSpec
                    ? await QueryStoreAsync(storeSpec, text, limits, ct)
                    : await QueryApiAsync(new Uri(parse.GetValue(url)!), parse.GetValue(token), text, limits, ct);
            }
            catch (QueryFailedException ex)
            {
                await Console.Error.WriteLineAsync($"error: {ex.Message}");
                return ExitCodes.Failure;
            }
            if (response.Exceptions.Count > 0 || response.Result is null)
            {
                foreach (var error in response.Exceptions)
                {
                    await Console.Error.WriteLineAsync($"error: {error.Message}");
                }
                if (response.Exceptions.Count == 0)
                {
                    await Console.Error.WriteLineAsync("error: the answer held neither rows nor an error");
                }
                return ExitCodes.Failure;
            }
            RowPrinter.Print(Console.Out, parse.GetValue(output), response.Result.ColumnNames, response.Result.Rows);
            if (response.Result.Truncated)
            {
                await Console.Error.WriteLineAsync($"note: the result was cut at {response.Result.Rows.Count} rows (the row limit)");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static async Task<QueryResponse> QueryApiAsync(Uri url, string? token, string sql, QueryLimits limits, CancellationToken ct)
    {
        // The server enforces its own timeout; the client waits a little longer so the server's message wins.
        using var client = new QueryApiClient(url, token, limits.Timeout + TimeSpan.FromSeconds(10));
        return await client.QueryAsync(sql, ct);
    }

    private static async Task<QueryResponse> QueryStoreAsync(string spec, string sql, QueryLimits limits, CancellationToken ct)
    {
        IQueryStore queryStore;
        try
        {
            queryStore = await QueryStores.OpenAsync(spec, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new QueryFailedException(QueryErrorCodes.Unknown, $"cannot open {spec}: {OneLine(ex.Message)}", ex);
        }
        await using (queryStore)
        {
            using var service = new QueryService(queryStore, limits, maxConcurrentQueries: 1);
            return await service.ExecuteAsync(sql, ct);
        }
    }

    private static string OneLine(string message) => string.Join(' ', message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
}
