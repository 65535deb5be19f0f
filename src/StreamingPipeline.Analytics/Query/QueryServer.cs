using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace StreamingPipeline.Analytics.Query;

/// <summary>
/// The HTTP query API, shaped like Pinot's broker: <c>POST /query/sql</c> with <c>{"sql": "..."}</c> answers a
/// <see cref="PinotResponseJson"/> body (always HTTP 200, errors in <c>exceptions</c>, as Pinot does), and
/// <c>GET /health</c> answers <c>OK</c>. It is a library type, not a command: <c>pipeline ingest --query-listen</c> and
/// <c>pipeline up</c> host it beside the DuckDB ingester (DuckDB allows one writing process, so readers share its
/// database instance), and <c>pipeline query-api</c> hosts it alone, typically over PostgreSQL. Binding an address other
/// than loopback requires a bearer token; when a token is set, every request must carry it (401 otherwise), except
/// endpoints marked <c>AllowAnonymous</c> (static pages that hold no data).
/// </summary>
public sealed class QueryServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly QueryService _service;

    private QueryServer(WebApplication app, QueryService service, Uri url)
    {
        _app = app;
        _service = service;
        Url = url;
    }

    /// <summary>Where the server listens, e.g. <c>http://127.0.0.1:9000/</c>.</summary>
    public Uri Url { get; }

    /// <summary>
    /// Starts serving <paramref name="store"/> (which stays the caller's to dispose). Throws
    /// <see cref="QueryServerStartException"/> when the address is not loopback and no token is set, or the port is taken.
    /// </summary>
    public static async Task<QueryServer> StartAsync(IQueryStore store, QueryServerOptions options, ILoggerFactory? loggers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        var token = string.IsNullOrEmpty(options.AuthToken) ? null : options.AuthToken;
        if (!IPAddress.IsLoopback(options.Listen.Address) && token is null)
        {
            throw new QueryServerStartException(
                $"listening on {options.Listen} (not a loopback address) requires a bearer token: pass --auth-token or set {QueryServerOptions.AuthTokenVariable}");
        }
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        // The host's own start and stop lines ("Application started", "Content root path") are noise inside pipeline's log.
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        if (loggers is not null)
        {
            builder.Services.AddSingleton(loggers);
        }
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = options.MaxRequestBytes;
            kestrel.Listen(options.Listen);
        });
        var app = builder.Build();
        var service = new QueryService(store, options.Limits, options.MaxConcurrentQueries);
        var required = BearerToken.Create(token);
        app.Use(async (context, next) =>
        {
            // Endpoints marked AllowAnonymous (the web console's page and assets, which hold no data) load without
            // the token so a browser can open them and then send it; everything else needs it.
            if (required is not null && context.GetEndpoint()?.Metadata.GetMetadata<IAllowAnonymous>() is null && !required.Authorizes(context.Request))
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                context.Response.Headers.WWWAuthenticate = "Bearer";
                await WriteAsync(context, QueryResponse.Failed(QueryErrorCodes.AccessDenied, "missing or wrong bearer token"));
                return;
            }
            await next(context);
        });
        app.MapGet("/health", () => "OK");
        app.MapPost("/query/sql", context => HandleQueryAsync(context, service));
        foreach (var map in options.AdditionalEndpoints)
        {
            map(app);
        }
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            service.Dispose();
            throw new QueryServerStartException($"the query API cannot listen on {options.Listen}: {ex.Message}", ex);
        }
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? $"http://{options.Listen}";
        loggers?.CreateLogger("pipeline.query-api").LogInformation("Query API on {Url} ({Store}, timeout {Timeout}, max {MaxRows} rows{Auth})",
            address, store.Kind, $"{options.Limits.Timeout.TotalSeconds:0.###}s", options.Limits.MaxRows, token is null ? "" : ", bearer token required");
        return new QueryServer(app, service, new Uri(address.EndsWith('/') ? address : address + "/"));
    }

    private static async Task HandleQueryAsync(HttpContext context, QueryService service)
    {
        QueryResponse response;
        try
        {
            string? sql;
            using (var body = await JsonDocument.ParseAsync(context.Request.Body, default, context.RequestAborted))
            {
                sql = body.RootElement.ValueKind == JsonValueKind.Object && body.RootElement.TryGetProperty("sql", out var s) && s.ValueKind == JsonValueKind.String
                    ? s.GetString()
                    : null;
            }
            response = sql is null
                ? QueryResponse.Failed(QueryErrorCodes.JsonParsing, "the request body must be {\"sql\": \"...\"}")
                : await service.ExecuteAsync(sql, context.RequestAborted);
        }
        catch (JsonException ex)
        {
            response = QueryResponse.Failed(QueryErrorCodes.JsonParsing, "the request body is not JSON: " + ex.Message);
        }
        catch (BadHttpRequestException ex)
        {
            context.Response.StatusCode = ex.StatusCode;
            response = QueryResponse.Failed(QueryErrorCodes.JsonParsing, ex.Message);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return;
        }
        await WriteAsync(context, response);
    }

    private static async Task WriteAsync(HttpContext context, QueryResponse response)
    {
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(PinotResponseJson.ToUtf8Bytes(response), context.RequestAborted);
    }

    /// <summary>Stops accepting requests and lets running ones finish (up to <paramref name="cancellationToken"/>).</summary>
    public Task StopAsync(CancellationToken cancellationToken) => _app.StopAsync(cancellationToken);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync().ConfigureAwait(false);
        _service.Dispose();
    }
}
