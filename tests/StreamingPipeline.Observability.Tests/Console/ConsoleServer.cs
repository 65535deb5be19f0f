using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Routing;
using StreamingPipeline.Analytics.Query;
using StreamingPipeline.Observability.Console;

namespace StreamingPipeline.Observability.Tests.Console;

/// <summary>The web console mounted on a real query server on a free loopback port, and an HTTP client for it.</summary>
internal sealed class ConsoleServer : IAsyncDisposable
{
    private readonly EmptyQueryStore _store = new();
    private readonly WebConsole _console;
    private QueryServer _server = null!;

    private ConsoleServer(WebConsoleOptions options) => _console = new WebConsole(options);

    public HttpClient Http { get; private set; } = null!;

    public static async Task<ConsoleServer> StartAsync(WebConsoleOptions options, string? token = null, Action<IEndpointRouteBuilder>? more = null)
    {
        var console = new ConsoleServer(options);
        console._server = await QueryServer.StartAsync(console._store, new QueryServerOptions
        {
            Listen = new IPEndPoint(IPAddress.Loopback, 0),
            AuthToken = token,
            AdditionalEndpoints = more is null ? [console._console.Map] : [console._console.Map, more],
        }, null, CancellationToken.None);
        console.Http = new HttpClient { BaseAddress = console._server.Url, Timeout = TimeSpan.FromSeconds(60) };
        if (token is not null)
        {
            console.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        return console;
    }

    /// <summary>GETs <paramref name="path"/> and parses its JSON body.</summary>
    public async Task<(HttpStatusCode Status, JsonElement Body)> GetJsonAsync(string path)
    {
        using var response = await Http.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.Content.Headers.ContentType?.MediaType == "application/json", $"{path}: {(int)response.StatusCode} {text}");
        using var document = JsonDocument.Parse(text);
        return (response.StatusCode, document.RootElement.Clone());
    }

    public async ValueTask DisposeAsync()
    {
        Http?.Dispose();
        await _server.DisposeAsync();
        _console.Dispose();
    }
}
