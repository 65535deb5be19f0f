using System.CommandLine;
using System.CommandLine.Parsing;
using StreamingPipeline.Analytics.Query;

namespace StreamingPipeline.Cli.Options;

/// <summary>Options the query commands and the commands hosting the query API share.</summary>
public static class QueryOptions
{
    /// <summary><c>--auth-token</c>, falling back to <c>PIPELINE_AUTH_TOKEN</c>.</summary>
    public static Option<string?> AuthToken(string description) => new("--auth-token")
    {
        Description = $"{description} (default: ${QueryServerOptions.AuthTokenVariable})",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable(QueryServerOptions.AuthTokenVariable),
    };

    /// <summary><c>--query-timeout</c>: how long one query may run.</summary>
    public static Option<WrittenValue<TimeSpan>> Timeout(string name = "--query-timeout") =>
        CommonOptions.Duration(name, "Cancel a query running longer than this", "10s");

    /// <summary><c>--max-rows</c>: rows returned at most per query.</summary>
    public static Option<int> MaxRows() => new("--max-rows")
    {
        Description = "Return at most this many rows per query (the response says partialResult when cut)",
        DefaultValueFactory = _ => QueryLimits.Default.MaxRows,
        Validators = { r => { if (r.GetValueOrDefault<int>() < 1) { r.AddError("--max-rows must be at least 1."); } } },
    };

    /// <summary>A <c>host:port</c> listen option for the query API.</summary>
    public static Option<string> Listen(string name, string? defaultValue) => new(name)
    {
        Description = "Address the query API listens on, host:port (a non-loopback address requires --auth-token)",
        DefaultValueFactory = defaultValue is null ? null : _ => defaultValue,
        Validators = { ValidateListen },
    };

    /// <summary><c>--store</c> for the query commands, checked for syntax at parse time.</summary>
    public static Option<string> Store(string description, string? defaultValue) => new("--store")
    {
        Description = description,
        DefaultValueFactory = defaultValue is null ? null : _ => defaultValue,
        Validators =
        {
            r =>
            {
                if (r.Tokens.Count > 0 && QueryStores.Validate(r.Tokens[0].Value) is { } error)
                {
                    r.AddError(error);
                }
            },
        },
    };

    /// <summary>The parsed listen endpoint (the option was validated).</summary>
    public static System.Net.IPEndPoint ParseListen(string text)
    {
        QueryServerOptions.TryParseListen(text, out var endpoint, out _);
        return endpoint;
    }

    private static void ValidateListen(OptionResult result)
    {
        if (result.Tokens.Count > 0 && !QueryServerOptions.TryParseListen(result.Tokens[0].Value, out _, out var error))
        {
            result.AddError($"{result.Option.Name}: {error}.");
        }
    }
}
