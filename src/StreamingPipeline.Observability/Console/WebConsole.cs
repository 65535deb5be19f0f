using System.Text.Json.Serialization.Metadata;
using Confluent.Kafka;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StreamingPipeline.Observability.Inspection;

namespace StreamingPipeline.Observability.Console;

/// <summary>
/// The web console: a page set (pipeline, SQL, topics, groups, DLQ) served on the query API's address, and the JSON
/// API it reads (<c>/api/...</c>). Mount it with <see cref="Map"/> through the query server's additional endpoints.
/// The page, script and style sheet carry no data and are served without the bearer token, so a browser can load
/// them and then ask for the token; every <c>/api</c> call and the query API stay guarded. Kafka failures answer a
/// JSON <see cref="ApiError"/> the page shows, never a stack trace.
/// </summary>
public sealed class WebConsole : IDisposable
{
    /// <summary>The console's path on the query API's address.</summary>
    public const string Path = "/";

    private readonly WebConsoleOptions _options;
    private readonly ILogger _logger;
    private readonly IAdminClient? _admin;
    private readonly KafkaOverviewReader? _overview;
    private readonly KafkaInspector? _inspector;

    // Each message read opens a consumer; bound how many run at once so many open pages cannot load the cluster.
    private readonly SemaphoreSlim _reads = new(MaxConcurrentReads, MaxConcurrentReads);
    private const int MaxConcurrentReads = 4;

    /// <summary>Creates the console; its Kafka clients connect lazily, on the first page that needs them.</summary>
    public WebConsole(WebConsoleOptions options, ILoggerFactory? loggers = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _logger = (loggers ?? NullLoggerFactory.Instance).CreateLogger("pipeline.console");
        if (!string.IsNullOrWhiteSpace(options.BootstrapServers))
        {
            _admin = new AdminClientBuilder(new AdminClientConfig
            {
                BootstrapServers = options.BootstrapServers,
                ClientId = "pipeline-console",
                SocketTimeoutMs = (int)options.RequestTimeout.TotalMilliseconds,
            })
                // librdkafka's connection chatter (broker down, reconnecting) would flood pipeline's log; errors reach the page.
                .SetLogHandler((_, _) => { })
                .SetErrorHandler((_, _) => { })
                .Build();
            _overview = new KafkaOverviewReader(_admin, options, time ?? TimeProvider.System);
            _inspector = new KafkaInspector(new KafkaConnection(options.BootstrapServers) { RequestTimeout = options.RequestTimeout });
        }
    }

    /// <summary>Maps the page, its assets and the JSON API onto <paramref name="endpoints"/>.</summary>
    public void Map(IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapGet("/", context => ServeAsync(context, "index.html")).AllowAnonymous();
        endpoints.MapGet("/console/{name}", (HttpContext context, string name) => ServeAsync(context, name)).AllowAnonymous();
        endpoints.MapGet("/api/console", InfoAsync);
        endpoints.MapGet("/api/overview", OverviewAsync);
        endpoints.MapGet("/api/topics", TopicsAsync);
        endpoints.MapGet("/api/topics/{topic}", (HttpContext context, string topic) =>
            KafkaAsync(context, ct => _inspector!.Topics.DescribeAsync(topic, ct), ConsoleJsonContext.Default.TopicOffsets));
        endpoints.MapGet("/api/topics/{topic}/messages", (HttpContext context, string topic) => MessagesAsync(context, topic));
        endpoints.MapGet("/api/groups", GroupsAsync);
        endpoints.MapGet("/api/groups/{group}", (HttpContext context, string group) =>
            KafkaAsync(context, ct => _inspector!.Groups.DescribeAsync(group, ct), ConsoleJsonContext.Default.ConsumerGroupDetails));
        endpoints.MapGet("/api/dlq", DeadLettersAsync);
    }

    private Task TopicsAsync(HttpContext context) =>
        KafkaAsync(context, ct => _inspector!.Topics.ListAsync(false, ct), ConsoleJsonContext.Default.IReadOnlyListTopicSummary);

    private Task GroupsAsync(HttpContext context) =>
        KafkaAsync(context, ct => _inspector!.Groups.ListAsync(ct), ConsoleJsonContext.Default.IReadOnlyListConsumerGroupSummary);

    private Task MessagesAsync(HttpContext context, string topic)
    {
        if (!MessageQueryParameters.TryParse(topic, context.Request.Query, out var query, out var error))
        {
            return WriteErrorAsync(context, StatusCodes.Status400BadRequest, "bad_request", error);
        }
        return KafkaAsync(context, async ct => (IReadOnlyList<ConsoleMessage>)[.. (await ReadAsync(query, ct)).Select(ConsoleMessage.From)],
            ConsoleJsonContext.Default.IReadOnlyListConsoleMessage);
    }

    private Task DeadLettersAsync(HttpContext context)
    {
        if (!MessageQueryParameters.TryParse(_options.DlqTopic, context.Request.Query, out var query, out var error))
        {
            return WriteErrorAsync(context, StatusCodes.Status400BadRequest, "bad_request", error);
        }
        // Newest first: the latest rejections are what someone opening the page looks for.
        return KafkaAsync(context, async ct => (IReadOnlyList<DeadLetterRecord>)[.. (await ReadAsync(query, ct)).Reverse().Select(DeadLetterRecord.From)],
            ConsoleJsonContext.Default.IReadOnlyListDeadLetterRecord);
    }

    private async Task<IReadOnlyList<TopicMessage>> ReadAsync(MessageQuery query, CancellationToken cancellationToken)
    {
        await _reads.WaitAsync(cancellationToken);
        try
        {
            return await _inspector!.Messages.ReadToListAsync(query, cancellationToken);
        }
        finally
        {
            _reads.Release();
        }
    }

    private Task InfoAsync(HttpContext context)
    {
        // The metrics endpoint is mapped by whoever hosts the console, or not at all; polling an absent one would
        // fill the browser's console with 404s.
        var metrics = context.RequestServices.GetService<EndpointDataSource>()?.Endpoints
            .OfType<RouteEndpoint>().Any(e => e.RoutePattern.RawText is "/metrics" or "metrics") ?? false;
        var info = new ConsoleInfo(metrics, _options.BootstrapServers, _options.DlqTopic);
        context.Response.ContentType = "application/json";
        return System.Text.Json.JsonSerializer.SerializeAsync(context.Response.Body, info, ConsoleJsonContext.Default.ConsoleInfo, context.RequestAborted);
    }

    private Task OverviewAsync(HttpContext context) => KafkaAsync(context, ct => _overview!.ReadAsync(ct), ConsoleJsonContext.Default.ClusterOverview);

    private static Task ServeAsync(HttpContext context, string name)
    {
        if (ConsoleAssets.Find(name) is not { } asset)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }
        var headers = context.Response.Headers;
        headers.ContentType = asset.ContentType;
        headers.CacheControl = "no-cache";
        headers.XContentTypeOptions = "nosniff";
        // Everything the page loads is its own: no inline script, no other origin.
        headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data: blob:; frame-ancestors 'none'";
        return context.Response.Body.WriteAsync(asset.Content, context.RequestAborted).AsTask();
    }

    private async Task KafkaAsync<T>(HttpContext context, Func<CancellationToken, Task<T>> read, JsonTypeInfo<T> type)
    {
        if (_admin is null)
        {
            await WriteErrorAsync(context, StatusCodes.Status503ServiceUnavailable, "kafka_not_configured", new KafkaNotConfiguredException().Message);
            return;
        }
        T value;
        try
        {
            value = await read(context.RequestAborted);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex) when (ex is TopicNotFoundException or GroupNotFoundException)
        {
            await WriteErrorAsync(context, StatusCodes.Status404NotFound, "not_found", ex.Message);
            return;
        }
        catch (ArgumentException ex)
        {
            await WriteErrorAsync(context, StatusCodes.Status400BadRequest, "bad_request", OneLine(ex));
            return;
        }
        catch (Exception ex) when (ex is KafkaException or InspectionException or TimeoutException or OperationCanceledException)
        {
            _logger.LogDebug("Console: Kafka request {Path} failed: {Error}", context.Request.Path, ex.Message);
            await WriteErrorAsync(context, StatusCodes.Status502BadGateway, "kafka_error", $"Kafka ({_options.BootstrapServers}): {OneLine(ex)}");
            return;
        }
        context.Response.ContentType = "application/json";
        await System.Text.Json.JsonSerializer.SerializeAsync(context.Response.Body, value, type, context.RequestAborted);
    }

    private static async Task WriteErrorAsync(HttpContext context, int status, string code, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await System.Text.Json.JsonSerializer.SerializeAsync(context.Response.Body, new ApiError(code, message), ConsoleJsonContext.Default.ApiError, context.RequestAborted);
    }

    private static string OneLine(Exception ex) => ex is KafkaException kafka
        ? $"{kafka.Error.Code}: {kafka.Error.Reason}"
        : ex.Message.ReplaceLineEndings(" ");

    /// <inheritdoc />
    public void Dispose()
    {
        _overview?.Dispose();
        _inspector?.Dispose();
        _admin?.Dispose();
        _reads.Dispose();
    }
}
