using System.CommandLine;
using Microsoft.Extensions.Logging;
using StreamingPipeline.Analytics.Query;
using StreamingPipeline.Observability.Metrics;

namespace StreamingPipeline.Cli.Options;

/// <summary>
/// <c>--metrics-listen host:port|none</c>: where a standalone command serves /metrics, /healthz and /readyz
/// (docs/metrics.md). Each command has its own default port, so a broker, a dedup and an ingester on one machine do not
/// collide; when the default port is taken (a second dedup instance) the command runs without metrics and says so,
/// while a port given explicitly must be free.
/// </summary>
public static class MetricsOptions
{
    /// <summary>The value that turns the endpoint off.</summary>
    public const string None = "none";

    /// <summary>The default address of <c>pipeline broker</c>'s metrics.</summary>
    public const string BrokerDefault = "127.0.0.1:9190";

    /// <summary>The default address of <c>pipeline dedup</c>'s metrics.</summary>
    public const string DedupDefault = "127.0.0.1:9191";

    /// <summary>The default address of <c>pipeline forward</c>'s metrics.</summary>
    public const string ForwardDefault = "127.0.0.1:9192";

    /// <summary>The default address of <c>pipeline ingest</c>'s metrics.</summary>
    public const string IngestDefault = "127.0.0.1:9193";

    /// <summary>The default address of <c>pipeline produce</c>'s metrics.</summary>
    public const string ProduceDefault = "127.0.0.1:9194";

    /// <summary>The option, defaulting to <paramref name="defaultValue"/>.</summary>
    public static Option<string> Listen(string defaultValue) => new("--metrics-listen")
    {
        Description = $"Where /metrics, /healthz and /readyz are served: host:port, or {None}. A non-loopback address needs ${QueryServerOptions.AuthTokenVariable} (a bearer token). If the default port is taken, the command runs without metrics",
        DefaultValueFactory = _ => defaultValue,
        Validators =
        {
            r =>
            {
                var text = r.GetValueOrDefault<string>();
                if (text != None && !QueryServerOptions.TryParseListen(text, out _, out var error))
                {
                    r.AddError($"--metrics-listen: {error} (or {None})");
                }
            },
        },
    };

    /// <summary>
    /// Starts the metrics server the option asks for; null when it is <c>none</c>, or when the default port is taken.
    /// Throws <see cref="MetricsServerStartException"/> when an address given explicitly cannot be served.
    /// </summary>
    public static async Task<MetricsServer?> StartAsync(ParseResult parse, Option<string> option, PipelineMetrics metrics, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var text = parse.GetValue(option)!;
        if (text == None || !QueryServerOptions.TryParseListen(text, out var endpoint, out _))
        {
            return null;
        }
        var token = Environment.GetEnvironmentVariable(QueryServerOptions.AuthTokenVariable);
        try
        {
            return await MetricsServer.StartAsync(metrics, endpoint, token, loggers, cancellationToken);
        }
        catch (MetricsServerStartException ex) when (ex.AddressInUse && parse.GetResult(option) is null or { Implicit: true })
        {
            loggers.CreateLogger("pipeline.metrics").LogWarning("Metrics not served: {Endpoint} is taken (another instance?); pass --metrics-listen HOST:PORT to serve them elsewhere", endpoint);
            return null;
        }
    }
}
