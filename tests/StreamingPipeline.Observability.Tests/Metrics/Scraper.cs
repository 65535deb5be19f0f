using System.Net;

namespace StreamingPipeline.Observability.Tests.Metrics;

/// <summary>GETs the metrics endpoints over HTTP, as Prometheus and the probes do.</summary>
internal sealed class Scraper(Uri baseUrl) : IDisposable
{
    private readonly HttpClient _client = new() { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>Scrapes /metrics and parses it strictly (throws on any format error).</summary>
    public async Task<PrometheusText> ScrapeAsync()
    {
        using var response = await _client.GetAsync(new Uri("metrics", UriKind.Relative));
        response.EnsureSuccessStatusCode();
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("0.0.4", response.Content.Headers.ContentType?.Parameters.Single(p => p.Name == "version").Value);
        return PrometheusText.Parse(await response.Content.ReadAsStringAsync());
    }

    /// <summary>GETs <paramref name="path"/>: its status and body.</summary>
    public async Task<(HttpStatusCode Status, string Body)> GetAsync(string path)
    {
        using var response = await _client.GetAsync(new Uri(path, UriKind.Relative));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public void Dispose() => _client.Dispose();
}
