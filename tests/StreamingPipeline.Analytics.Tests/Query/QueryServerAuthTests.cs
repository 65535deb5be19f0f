using System.Net;
using System.Net.Http.Headers;
using System.Text;
using DuckDB.NET.Data;
using StreamingPipeline.Analytics.Query;
using StreamingPipeline.Analytics.Schema;

namespace StreamingPipeline.Analytics.Tests.Query;

/// <summary>The bearer token: required to bind beyond loopback, checked on every request when set.</summary>
public sealed class QueryServerAuthTests : IAsyncLifetime
{
    private readonly TempDirectory _directory = new();
    private DuckDbQueryStore _store = null!;

    public async Task InitializeAsync()
    {
        var path = Path.Combine(_directory.Path, "analytics.duckdb");
        await using (var writer = new DuckDBConnection($"Data Source={path}"))
        {
            await writer.OpenAsync();
            await AnalyticsSchema.EnsureAsync(writer, AnalyticsSchema.DuckDb, CancellationToken.None);
        }
        _store = await DuckDbQueryStore.OpenAsync(path, readOnly: true, CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        _directory.Dispose();
    }

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("::")]
    public async Task A_non_loopback_address_without_a_token_refuses_to_start(string address)
    {
        var failure = await Assert.ThrowsAsync<QueryServerStartException>(() => QueryServer.StartAsync(_store,
            new QueryServerOptions { Listen = new IPEndPoint(IPAddress.Parse(address), 0) }, null, CancellationToken.None));

        Assert.Contains("--auth-token", failure.Message, StringComparison.Ordinal);
        Assert.Contains(QueryServerOptions.AuthTokenVariable, failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_a_token_every_request_must_carry_it()
    {
        await using var server = await QueryServer.StartAsync(_store,
            new QueryServerOptions { Listen = new IPEndPoint(IPAddress.Loopback, 0), AuthToken = "s3cret-token" }, null, CancellationToken.None);
        using var http = new HttpClient { BaseAddress = server.Url };

        var none = await SendAsync(http, null);
        var wrong = await SendAsync(http, "s3cret-tokem");
        var right = await SendAsync(http, "s3cret-token");
        using var health = await http.GetAsync("health");

        Assert.Equal(HttpStatusCode.Unauthorized, none);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong);
        Assert.Equal(HttpStatusCode.OK, right);
        Assert.Equal(HttpStatusCode.Unauthorized, health.StatusCode);
    }

    [Fact]
    public async Task The_client_names_a_refused_token_in_one_line()
    {
        await using var server = await QueryServer.StartAsync(_store,
            new QueryServerOptions { Listen = new IPEndPoint(IPAddress.Loopback, 0), AuthToken = "s3cret-token" }, null, CancellationToken.None);
        using var client = new QueryApiClient(server.Url, "wrong", TimeSpan.FromSeconds(30));

        var failure = await Assert.ThrowsAsync<QueryFailedException>(() => client.QueryAsync("select 1", CancellationToken.None));

        Assert.Contains("401", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Listen_addresses_parse_and_hostnames_other_than_localhost_are_refused()
    {
        Assert.True(QueryServerOptions.TryParseListen("127.0.0.1:9000", out var loopback, out _));
        Assert.True(QueryServerOptions.TryParseListen("[::]:9001", out var any6, out _));
        Assert.True(QueryServerOptions.TryParseListen("localhost:0", out var localhost, out _));

        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 9000), loopback);
        Assert.Equal(new IPEndPoint(IPAddress.IPv6Any, 9001), any6);
        Assert.Equal(IPAddress.Loopback, localhost.Address);
        Assert.False(QueryServerOptions.TryParseListen("example.com:9000", out _, out var error));
        Assert.Contains("not an IP address", error, StringComparison.Ordinal);
        Assert.False(QueryServerOptions.TryParseListen("127.0.0.1", out _, out _));
    }

    private static async Task<HttpStatusCode> SendAsync(HttpClient http, string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "query/sql")
        {
            Content = new StringContent("{\"sql\": \"select 1\"}", Encoding.UTF8, "application/json"),
        };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }
}
