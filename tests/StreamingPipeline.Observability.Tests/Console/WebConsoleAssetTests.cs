using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using StreamingPipeline.Observability.Console;

namespace StreamingPipeline.Observability.Tests.Console;

/// <summary>The page set comes from the assembly, loads offline, and with a token only the data needs it.</summary>
public sealed partial class WebConsoleAssetTests
{
    [Theory]
    [InlineData("/", "text/html")]
    [InlineData("/console/app.js", "text/javascript")]
    [InlineData("/console/charts.js", "text/javascript")]
    [InlineData("/console/kafka.js", "text/javascript")]
    [InlineData("/console/app.css", "text/css")]
    public async Task The_page_and_its_assets_are_served_from_the_assembly(string path, string contentType)
    {
        await using var server = await ConsoleServer.StartAsync(new WebConsoleOptions());

        using var response = await server.Http.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(contentType, response.Content.Headers.ContentType?.MediaType);
        Assert.NotEmpty(await response.Content.ReadAsByteArrayAsync());
        Assert.Contains("default-src 'self'", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_asset_is_not_found()
    {
        await using var server = await ConsoleServer.StartAsync(new WebConsoleOptions());

        using var response = await server.Http.GetAsync("/console/nothing.js");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public void Every_page_asset_is_embedded_and_references_nothing_outside_its_origin()
    {
        Assert.Equal(["app.css", "app.js", "charts.js", "index.html", "kafka.js"], ConsoleAssets.Names.Order(StringComparer.Ordinal));
        foreach (var name in ConsoleAssets.Names)
        {
            var text = System.Text.Encoding.UTF8.GetString(ConsoleAssets.Find(name)!.Content);
            Assert.DoesNotMatch(ExternalReference(), text);
        }
    }

    [Fact]
    public async Task With_a_token_the_page_loads_without_it_and_the_api_needs_it()
    {
        await using var server = await ConsoleServer.StartAsync(new WebConsoleOptions(), token: "console-secret");
        using var anonymous = new HttpClient { BaseAddress = server.Http.BaseAddress };

        using var page = await anonymous.GetAsync("/");
        using var script = await anonymous.GetAsync("/console/app.js");
        using var api = await anonymous.GetAsync("/api/overview");
        using var query = await anonymous.PostAsync("/query/sql", new StringContent("{\"sql\":\"select 1\"}", new MediaTypeHeaderValue("application/json")));
        var (withToken, _) = await server.GetJsonAsync("/api/overview");

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, query.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, withToken); // authorized; Kafka is not configured here
    }

    [Fact]
    public async Task The_page_learns_whether_this_address_serves_metrics_and_which_kafka_it_reads()
    {
        await using var without = await ConsoleServer.StartAsync(new WebConsoleOptions());
        await using var with = await ConsoleServer.StartAsync(new WebConsoleOptions { BootstrapServers = "127.0.0.1:9", DlqTopic = "dead" },
            more: endpoints => endpoints.MapGet("/metrics", () => "up 1\n"));

        var (_, none) = await without.GetJsonAsync("/api/console");
        var (_, some) = await with.GetJsonAsync("/api/console");

        Assert.False(none.GetProperty("metrics").GetBoolean());
        Assert.Equal(JsonValueKind.Null, none.GetProperty("bootstrapServers").ValueKind);
        Assert.True(some.GetProperty("metrics").GetBoolean());
        Assert.Equal("127.0.0.1:9", some.GetProperty("bootstrapServers").GetString());
        Assert.Equal("dead", some.GetProperty("dlqTopic").GetString());
    }

    /// <summary>A script, style sheet, image or fetch from another origin (a CDN): src/href/url()/import/fetch with http(s).</summary>
    [GeneratedRegex(@"(src|href)\s*=\s*[""']?https?:|url\(\s*[""']?https?:|@import|fetch\(\s*[""']https?:|import\s.*from\s*[""']https?:", RegexOptions.IgnoreCase)]
    private static partial Regex ExternalReference();
}
