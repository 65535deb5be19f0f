using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using StreamingPipeline.Analytics.Query;

namespace StreamingPipeline.Analytics.Tests.Query;

/// <summary>
/// What the query API promises on every store: the query shapes the issue names answer with the right values and
/// Pinot types, and every kind of bad query comes back as a clean entry in <c>exceptions</c> (HTTP 200, one line,
/// no stack trace). Each store's test class loads <see cref="QueryTestData"/> and opens its <see cref="IQueryStore"/>.
/// </summary>
public abstract class QueryApiContractTests : IAsyncLifetime
{
    private readonly List<IAsyncDisposable> _servers = [];

    protected IQueryStore Store { get; set; } = null!;

    /// <summary>False when a class fixture shares the store across tests and disposes it.</summary>
    protected virtual bool OwnsStore => true;

    /// <summary>A query that runs for minutes unless interrupted.</summary>
    protected abstract string SlowQuery { get; }

    /// <summary>A write the validator would refuse, sent straight to the store to prove the session refuses it too.</summary>
    protected abstract string WriteStatement { get; }

    /// <summary>A file read the validator would refuse, sent straight to the store.</summary>
    protected abstract string FileReadStatement { get; }

    public abstract Task InitializeAsync();

    public virtual async Task DisposeAsync()
    {
        foreach (var server in _servers)
        {
            await server.DisposeAsync();
        }
        if (Store is not null && OwnsStore)
        {
            await Store.DisposeAsync();
        }
    }

    protected async Task<HttpClient> StartServerAsync(QueryLimits? limits = null)
    {
        var server = await QueryServer.StartAsync(Store, new QueryServerOptions
        {
            Listen = new IPEndPoint(IPAddress.Loopback, 0),
            Limits = limits ?? QueryLimits.Default,
        }, null, CancellationToken.None);
        _servers.Add(server);
        return new HttpClient { BaseAddress = server.Url, Timeout = TimeSpan.FromSeconds(60) };
    }

    protected static async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(HttpClient http, string sql)
    {
        using var content = new StringContent(JsonSerializer.Serialize(new { sql }), Encoding.UTF8, "application/json");
        using var response = await http.PostAsync("query/sql", content);
        var text = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(text);
        return (response.StatusCode, document.RootElement.Clone());
    }

    private static string[] Types(JsonElement body) =>
        body.GetProperty("resultTable").GetProperty("dataSchema").GetProperty("columnDataTypes").EnumerateArray().Select(e => e.GetString()!).ToArray();

    private static string[] Names(JsonElement body) =>
        body.GetProperty("resultTable").GetProperty("dataSchema").GetProperty("columnNames").EnumerateArray().Select(e => e.GetString()!.ToLowerInvariant()).ToArray();

    private static List<JsonElement[]> Rows(JsonElement body) =>
        body.GetProperty("resultTable").GetProperty("rows").EnumerateArray().Select(r => r.EnumerateArray().ToArray()).ToList();

    private static void AssertNoExceptions(JsonElement body) =>
        Assert.True(body.GetProperty("exceptions").GetArrayLength() == 0, body.GetProperty("exceptions").ToString());

    private static QueryError SingleError(HttpStatusCode status, JsonElement body)
    {
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.False(body.TryGetProperty("resultTable", out _));
        var error = Assert.Single(body.GetProperty("exceptions").EnumerateArray());
        var message = error.GetProperty("message").GetString()!;
        Assert.DoesNotContain("\n", message, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", message, StringComparison.Ordinal);
        return new QueryError(error.GetProperty("errorCode").GetInt32(), message);
    }

    [Fact]
    public async Task The_seed_query_returns_ten_rows_of_the_view()
    {
        var http = await StartServerAsync();
        var (status, body) = await PostAsync(http, "select * from \"user-events\" limit 10");

        Assert.Equal(HttpStatusCode.OK, status);
        AssertNoExceptions(body);
        Assert.Equal(10, body.GetProperty("numRowsResultSet").GetInt32());
        Assert.Equal(10, Rows(body).Count);
        Assert.Equal(["eventid", "userid", "eventtype", "page", "sessionid", "timestamp"], Names(body));
        Assert.Equal(["STRING", "STRING", "STRING", "STRING", "STRING", "TIMESTAMP"], Types(body));
        Assert.False(body.GetProperty("partialResult").GetBoolean());
        Assert.True(body.GetProperty("timeUsedMs").GetInt64() >= 0);
    }

    [Fact]
    public async Task Counts_by_type_and_minute_have_the_right_values_and_types()
    {
        var http = await StartServerAsync();
        var (_, body) = await PostAsync(http, """
            select eventType as event_type, date_trunc('minute', "timestamp") as minute, count(*) as events
            from user_events group by 1, 2 order by 2, 1
            """);

        AssertNoExceptions(body);
        Assert.Equal(["STRING", "TIMESTAMP", "LONG"], Types(body));
        var expected = QueryTestData.Events()
            .GroupBy(e => (e.EventType, Minute: e.Timestamp.AddTicks(-(e.Timestamp.Ticks % TimeSpan.TicksPerMinute))))
            .OrderBy(g => g.Key.Minute).ThenBy(g => g.Key.EventType, StringComparer.Ordinal)
            .Select(g => (g.Key.EventType, QueryTestData.Pinot(g.Key.Minute), (long)g.Count()))
            .ToList();
        var actual = Rows(body).Select(r => (r[0].GetString()!, r[1].GetString()!, r[2].GetInt64())).ToList();
        Assert.Equal(expected, actual);
    }

    [Fact]
    public async Task Distinct_users_per_hour_have_the_right_values_and_types()
    {
        var http = await StartServerAsync();
        var (_, body) = await PostAsync(http, """
            select date_trunc('hour', "timestamp") as hour, count(distinct userId) as users
            from user_events group by 1 order by 1
            """);

        AssertNoExceptions(body);
        Assert.Equal(["TIMESTAMP", "LONG"], Types(body));
        var expected = QueryTestData.Events()
            .GroupBy(e => e.Timestamp.AddTicks(-(e.Timestamp.Ticks % TimeSpan.TicksPerHour)))
            .OrderBy(g => g.Key)
            .Select(g => (QueryTestData.Pinot(g.Key), (long)g.Select(e => e.UserId).Distinct().Count()))
            .ToList();
        Assert.True(expected.Count >= 3);
        Assert.Equal(expected, Rows(body).Select(r => (r[0].GetString()!, r[1].GetInt64())).ToList());
    }

    [Fact]
    public async Task One_users_last_events_have_the_right_values_and_types()
    {
        var http = await StartServerAsync();
        var (_, body) = await PostAsync(http, """
            select eventId as event_id, eventType as event_type, "timestamp" as ts
            from user_events where userId = 'user-7' order by "timestamp" desc limit 5
            """);

        AssertNoExceptions(body);
        Assert.Equal(["STRING", "STRING", "TIMESTAMP"], Types(body));
        var expected = QueryTestData.Events().Where(e => e.UserId == "user-7").OrderByDescending(e => e.Timestamp).Take(5)
            .Select(e => (e.EventId, e.EventType, QueryTestData.Pinot(e.Timestamp)))
            .ToList();
        Assert.Equal(expected, Rows(body).Select(r => (r[0].GetString()!, r[1].GetString()!, r[2].GetString()!)).ToList());
    }

    [Fact]
    public async Task A_funnel_counts_users_reaching_each_step_in_order()
    {
        var http = await StartServerAsync();
        var (_, body) = await PostAsync(http, """
            with firsts as (
                select userId,
                       min(case when eventType = 'page_view' then "timestamp" end) as viewed,
                       min(case when eventType = 'add_to_cart' then "timestamp" end) as carted,
                       min(case when eventType = 'purchase' then "timestamp" end) as purchased
                from user_events group by userId)
            select count(viewed) as viewed,
                   count(case when carted > viewed then 1 end) as carted,
                   count(case when purchased > carted and carted > viewed then 1 end) as purchased
            from firsts
            """);

        AssertNoExceptions(body);
        Assert.Equal(["LONG", "LONG", "LONG"], Types(body));
        var users = QueryTestData.Events().Select(e => e.UserId).Distinct().Count();
        var purchasers = QueryTestData.Events().Where(e => e.EventType == "purchase").Select(e => e.UserId).Distinct().Count();
        Assert.Equal((long[])[users, users, purchasers], Rows(body).Single().Select(v => v.GetInt64()).ToArray());
        Assert.True(purchasers < users);
    }

    [Fact]
    public async Task A_utc_timestamp_literal_bounds_exactly_the_events_from_that_instant_on()
    {
        // Event 100's own instant is included, one microsecond later it is not: no zone shift, no lost precision.
        var at = new DateTimeOffset(QueryTestData.Start.AddSeconds(7 * 100));
        var from = await Store.ExecuteAsync($"select count(*) from user_events where \"timestamp\" >= {SqlLiterals.UtcTimestamp(at)}", QueryLimits.Default, CancellationToken.None);
        var after = await Store.ExecuteAsync($"select count(*) from user_events where \"timestamp\" >= {SqlLiterals.UtcTimestamp(at.AddTicks(10))}", QueryLimits.Default, CancellationToken.None);

        Assert.Equal((long)QueryTestData.Rows - 100, Convert.ToInt64(from.Rows.Single()[0], CultureInfo.InvariantCulture));
        Assert.Equal((long)QueryTestData.Rows - 101, Convert.ToInt64(after.Rows.Single()[0], CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Bad_sql_comes_back_with_the_databases_message()
    {
        var http = await StartServerAsync();
        var (status, body) = await PostAsync(http, "select eventType, from from user_events");

        var error = SingleError(status, body);
        Assert.Equal(QueryErrorCodes.SqlParsing, error.ErrorCode);
        Assert.Contains("syntax error", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task An_unknown_table_comes_back_as_table_does_not_exist()
    {
        var http = await StartServerAsync();
        var (status, body) = await PostAsync(http, "select * from no_such_table");

        var error = SingleError(status, body);
        Assert.Equal(QueryErrorCodes.TableDoesNotExist, error.ErrorCode);
        Assert.Contains("no_such_table", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("delete from user_events")]
    [InlineData("with x as (select 1) insert into user_events select * from user_events")]
    [InlineData("select 1; delete from user_events")]
    [InlineData("COPY user_events TO '/tmp/pipeline-query-test.csv'")]
    [InlineData("select * from read_csv('/etc/passwd')")]
    [InlineData("select * from '/etc/passwd'")]
    [InlineData("select pg_read_file('/etc/passwd')")]
    [InlineData("copy (select 1) to program 'touch /tmp/pipeline-query-test'")]
    [InlineData("ATTACH '/tmp/pipeline-query-test.duckdb' AS other")]
    public async Task Writes_file_access_and_multiple_statements_are_refused_cleanly(string sql)
    {
        var http = await StartServerAsync();
        var (status, body) = await PostAsync(http, sql);

        var error = SingleError(status, body);
        Assert.Equal(QueryErrorCodes.AccessDenied, error.ErrorCode);
        Assert.StartsWith("query refused: ", error.Message, StringComparison.Ordinal);
        var (_, count) = await PostAsync(http, "select count(*) from user_events");
        Assert.Equal(QueryTestData.Rows, Rows(count).Single()[0].GetInt64());
    }

    [Fact]
    public async Task The_session_itself_refuses_a_write_that_bypasses_the_validator()
    {
        var failure = await Assert.ThrowsAsync<QueryFailedException>(() => Store.ExecuteAsync(WriteStatement, QueryLimits.Default, CancellationToken.None));

        Assert.DoesNotContain("\n", failure.Message, StringComparison.Ordinal);
        var count = await Store.ExecuteAsync("select count(*) from user_events", QueryLimits.Default, CancellationToken.None);
        Assert.Equal((long)QueryTestData.Rows, count.Rows.Single()[0]);
    }

    [Fact]
    public async Task The_session_itself_refuses_a_file_read_that_bypasses_the_validator()
    {
        var failure = await Assert.ThrowsAsync<QueryFailedException>(() => Store.ExecuteAsync(FileReadStatement, QueryLimits.Default, CancellationToken.None));

        Assert.DoesNotContain("root:", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_query_over_the_timeout_is_cancelled_and_reported()
    {
        var http = await StartServerAsync(new QueryLimits { Timeout = TimeSpan.FromSeconds(1) });
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var (status, body) = await PostAsync(http, SlowQuery);

        var error = SingleError(status, body);
        Assert.Equal(QueryErrorCodes.ExecutionTimeout, error.ErrorCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
        var (_, after) = await PostAsync(http, "select count(*) from user_events");
        AssertNoExceptions(after);
    }

    [Fact]
    public async Task Rows_beyond_the_limit_are_cut_and_the_response_says_so()
    {
        var http = await StartServerAsync(new QueryLimits { MaxRows = 5 });
        var (_, body) = await PostAsync(http, "select * from user_events");

        AssertNoExceptions(body);
        Assert.Equal(5, Rows(body).Count);
        Assert.Equal(5, body.GetProperty("numRowsResultSet").GetInt32());
        Assert.True(body.GetProperty("partialResult").GetBoolean());
    }

    [Fact]
    public async Task A_body_that_is_not_json_is_a_clean_error()
    {
        var http = await StartServerAsync();
        using var content = new StringContent("select 1", Encoding.UTF8, "application/json");
        using var response = await http.PostAsync("query/sql", content);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        var error = SingleError(response.StatusCode, document.RootElement);
        Assert.Equal(QueryErrorCodes.JsonParsing, error.ErrorCode);
    }

    [Fact]
    public async Task The_client_reads_the_servers_answer()
    {
        var http = await StartServerAsync();
        using var client = new QueryApiClient(http.BaseAddress!, null, TimeSpan.FromSeconds(30));

        var ok = await client.QueryAsync("select count(*) as n from user_events", CancellationToken.None);
        var bad = await client.QueryAsync("select nonsense(", CancellationToken.None);

        Assert.Empty(ok.Exceptions);
        Assert.Equal(QueryTestData.Rows, ((JsonElement)ok.Result!.Rows.Single()[0]!).GetInt64());
        Assert.Equal("LONG", ok.Result.ColumnDataTypes.Single());
        Assert.Null(bad.Result);
        Assert.Single(bad.Exceptions);
    }

    protected static AuthenticationHeaderValue Bearer(string token) => new("Bearer", token);
}
