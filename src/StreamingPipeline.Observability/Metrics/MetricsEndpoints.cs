using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace StreamingPipeline.Observability.Metrics;

/// <summary>Maps <c>GET /metrics</c>, <c>/healthz</c> and <c>/readyz</c> of a <see cref="PipelineMetrics"/> (docs/metrics.md).</summary>
public static class MetricsEndpoints
{
    /// <summary>The Prometheus text format's content type.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>Adds the three endpoints to <paramref name="endpoints"/>.</summary>
    public static void Map(IEndpointRouteBuilder endpoints, PipelineMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(metrics);
        endpoints.MapGet("/metrics", async context =>
        {
            context.Response.ContentType = ContentType;
            // Collection reads counters only; the text is buffered so a slow client does not hold the registry.
            using var buffer = new MemoryStream();
            await metrics.WriteAsync(buffer, context.RequestAborted);
            buffer.Position = 0;
            await buffer.CopyToAsync(context.Response.Body, context.RequestAborted);
        });
        endpoints.MapGet("/healthz", context =>
        {
            var (healthy, text) = metrics.CheckHealth();
            return WriteAsync(context, healthy, text);
        });
        endpoints.MapGet("/readyz", context =>
        {
            var (ready, text) = metrics.CheckReadiness();
            return WriteAsync(context, ready, text);
        });
    }

    /// <summary>The same as <see cref="Map(IEndpointRouteBuilder, PipelineMetrics)"/>, as a <c>QueryServerOptions.AdditionalEndpoints</c> entry.</summary>
    public static Action<IEndpointRouteBuilder> For(PipelineMetrics metrics) => endpoints => Map(endpoints, metrics);

    private static Task WriteAsync(HttpContext context, bool ok, string text)
    {
        context.Response.StatusCode = ok ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(text, context.RequestAborted);
    }
}
