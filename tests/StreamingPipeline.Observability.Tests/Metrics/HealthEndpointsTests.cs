using System.Net;
using System.Net.Http.Headers;
using StreamingPipeline.Observability.Metrics;

namespace StreamingPipeline.Observability.Tests.Metrics;

public sealed class HealthEndpointsTests
{
    [Fact]
    public async Task Healthz_fails_when_a_component_failed_and_readyz_waits_for_every_running_component()
    {
        var metrics = new PipelineMetrics();
        var ready = false;
        metrics.Add("worker", null, () => ready ? null : "warming up");
        metrics.Add(ComponentNames.Generator, null, () => null);
        await using var server = await MetricsServer.StartAsync(metrics, new IPEndPoint(IPAddress.Loopback, 0), null, null, CancellationToken.None);
        using var scraper = new Scraper(server.Url);

        Assert.Equal((HttpStatusCode.ServiceUnavailable, "not ready\ngenerator: starting\nworker: starting\n"), await scraper.GetAsync("readyz"));
        metrics.SetStatus("worker", ComponentStatus.Running);
        metrics.SetStatus(ComponentNames.Generator, ComponentStatus.Running);
        Assert.Equal((HttpStatusCode.ServiceUnavailable, "not ready\ngenerator: ready\nworker: warming up\n"), await scraper.GetAsync("readyz"));
        ready = true;
        Assert.Equal(HttpStatusCode.OK, (await scraper.GetAsync("readyz")).Status);
        // A generator that sent its count stopped on purpose: still healthy and ready.
        metrics.SetStatus(ComponentNames.Generator, ComponentStatus.Stopped);
        Assert.Equal((HttpStatusCode.OK, "healthy\ngenerator: stopped\nworker: running\n"), await scraper.GetAsync("healthz"));
        Assert.Equal(HttpStatusCode.OK, (await scraper.GetAsync("readyz")).Status);
        var text = await scraper.ScrapeAsync();
        Assert.Equal(1, text.Value("pipeline_component_up", ("component", "worker")));
        Assert.Equal(0, text.Value("pipeline_component_up", ("component", "generator")));

        metrics.SetStatus("worker", ComponentStatus.Failed);
        Assert.Equal((HttpStatusCode.ServiceUnavailable, "unhealthy\ngenerator: stopped\nworker: failed\n"), await scraper.GetAsync("healthz"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await scraper.GetAsync("readyz")).Status);
    }

    [Fact]
    public async Task A_non_loopback_address_needs_a_token_and_then_every_request_must_carry_it()
    {
        var metrics = new PipelineMetrics();
        var refused = await Assert.ThrowsAsync<MetricsServerStartException>(() =>
            MetricsServer.StartAsync(metrics, new IPEndPoint(IPAddress.Any, 0), null, null, CancellationToken.None));
        Assert.Contains("requires a bearer token", refused.Message, StringComparison.Ordinal);

        await using var server = await MetricsServer.StartAsync(metrics, new IPEndPoint(IPAddress.Loopback, 0), "s3cret", null, CancellationToken.None);
        using var client = new HttpClient { BaseAddress = server.Url };
        using (var anonymous = await client.GetAsync(new Uri("metrics", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "s3cret");
        using var authorized = await client.GetAsync(new Uri("metrics", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, authorized.StatusCode);
    }

    [Fact]
    public async Task A_taken_port_is_a_start_failure_with_the_address()
    {
        var metrics = new PipelineMetrics();
        await using var first = await MetricsServer.StartAsync(metrics, new IPEndPoint(IPAddress.Loopback, 0), null, null, CancellationToken.None);
        var taken = new IPEndPoint(IPAddress.Loopback, first.Url.Port);
        var failure = await Assert.ThrowsAsync<MetricsServerStartException>(() => MetricsServer.StartAsync(metrics, taken, null, null, CancellationToken.None));
        Assert.Contains(taken.ToString(), failure.Message, StringComparison.Ordinal);
    }
}
