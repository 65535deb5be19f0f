using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StreamingPipeline.Analytics.Query;

namespace StreamingPipeline.Observability.Metrics;

/// <summary>
/// A small HTTP server for the commands without a query API (<c>broker</c>, <c>dedup</c>, <c>forward</c>, <c>ingest</c>,
/// <c>produce</c>): GET /metrics, /healthz and /readyz of one <see cref="PipelineMetrics"/>. Like the query API it
/// refuses a non-loopback address without a bearer token, and with a token every request must carry it.
/// </summary>
public sealed class MetricsServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private MetricsServer(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    /// <summary>Where the server listens, e.g. <c>http://127.0.0.1:9101/</c>.</summary>
    public Uri Url { get; }

    /// <summary>Starts serving <paramref name="metrics"/> on <paramref name="listen"/> (port 0 picks a free one).</summary>
    /// <exception cref="MetricsServerStartException">The address is not loopback and no token is set, or it cannot be bound.</exception>
    public static async Task<MetricsServer> StartAsync(PipelineMetrics metrics, IPEndPoint listen, string? authToken, ILoggerFactory? loggers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(listen);
        var token = string.IsNullOrEmpty(authToken) ? null : authToken;
        if (!IPAddress.IsLoopback(listen.Address) && token is null)
        {
            throw new MetricsServerStartException($"serving metrics on {listen} (not a loopback address) requires a bearer token: pass --auth-token or set PIPELINE_AUTH_TOKEN");
        }
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(listen);
        });
        var app = builder.Build();
        var required = BearerToken.Create(token);
        app.Use(async (context, next) =>
        {
            if (required is not null && !required.Authorizes(context.Request))
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                context.Response.Headers.WWWAuthenticate = "Bearer";
                return;
            }
            await next(context);
        });
        MetricsEndpoints.Map(app, metrics);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw new MetricsServerStartException($"metrics cannot be served on {listen}: {ex.Message}", ex)
            {
                AddressInUse = ex.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException,
            };
        }
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? $"http://{listen}";
        var url = new Uri(address.EndsWith('/') ? address : address + "/");
        loggers?.CreateLogger("pipeline.metrics").LogInformation("Metrics on {Url}metrics (health: /healthz, /readyz{Auth})", url, token is null ? "" : "; bearer token required");
        return new MetricsServer(app, url);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
