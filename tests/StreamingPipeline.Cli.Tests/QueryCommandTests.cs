using System.Globalization;
using System.Text.Json;
using DuckDB.NET.Data;
using StreamingPipeline.Analytics.Schema;

namespace StreamingPipeline.Cli.Tests;

/// <summary>
/// <c>pipeline query</c> against a <c>pipeline query-api</c> process and against a DuckDB file directly: rows as JSON
/// and CSV, and every failure as one line on stderr with exit 3 (runtime) or 2 (usage).
/// </summary>
public sealed class QueryCommandTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);
    private readonly TempDirectory _directory = new("pipeline-query-");

    private string DatabasePath => _directory.Combine("analytics.duckdb");

    public async Task InitializeAsync()
    {
        await using var connection = new DuckDBConnection($"Data Source={DatabasePath}");
        await connection.OpenAsync();
        await AnalyticsSchema.EnsureAsync(connection, AnalyticsSchema.DuckDb, CancellationToken.None);
        await using var insert = connection.CreateCommand();
        insert.CommandText = """
            INSERT INTO user_events
            SELECT uuid(), 'user-' || (i % 3), CASE WHEN i % 2 = 0 THEN 'click' ELSE 'page_view' END, '/p, "q"', 's', TIMESTAMPTZ '2026-12-02 10:00:00+00', 0, i
            FROM range(12) t(i)
            """;
        await insert.ExecuteNonQueryAsync();
    }

    public Task DisposeAsync()
    {
        _directory.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Through_the_api_json_and_csv_print_the_rows_and_errors_are_one_line()
    {
        var port = LoopbackPort.Free();
        var url = string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}");
        await using var api = ChildProcess.StartPipeline("query-api", "--store", $"duckdb:{DatabasePath}", "--listen", $"127.0.0.1:{port}", "--auth-token", "t0ken");
        await api.WaitForPortAsync(port, Timeout);

        var json = await ChildProcess.RunPipelineAsync(Timeout, "query", "--url", url, "--auth-token", "t0ken", "-o", "json",
            "select eventType, count(*) as n from user_events group by 1 order by 1");
        var csv = await ChildProcess.RunPipelineAsync(Timeout, "query", "--url", url, "--auth-token", "t0ken", "-o", "csv",
            "select * from \"user-events\" limit 10");
        var table = await ChildProcess.RunPipelineAsync(Timeout, "query", "--url", url, "--auth-token", "t0ken", "select count(*) as total from user_events");
        var bad = await ChildProcess.RunPipelineAsync(Timeout, "query", "--url", url, "--auth-token", "t0ken", "select from where");
        var write = await ChildProcess.RunPipelineAsync(Timeout, "query", "--url", url, "--auth-token", "t0ken", "drop table user_events");
        var unauthorized = await ChildProcess.RunPipelineAsync(Timeout, "query", "--url", url, "--auth-token", "wrong", "select 1");

        Assert.True(json.ExitCode == ExitCodes.Ok, json.Error);
        using (var document = JsonDocument.Parse(json.Output))
        {
            var rows = document.RootElement.EnumerateArray().Select(r => (r.GetProperty("eventType").GetString(), r.GetProperty("n").GetInt64())).ToList();
            Assert.Equal([("click", 6L), ("page_view", 6L)], rows);
        }
        Assert.Equal(ExitCodes.Ok, csv.ExitCode);
        var lines = csv.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("eventId,userId,eventType,page,sessionId,timestamp", lines[0]);
        Assert.Equal(11, lines.Length);
        Assert.Contains(",\"/p, \"\"q\"\"\",", lines[1], StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Ok, table.ExitCode);
        Assert.Contains("total", table.Output, StringComparison.Ordinal);
        Assert.Contains("12", table.Output, StringComparison.Ordinal);
        AssertOneLineFailure(bad, "syntax error");
        AssertOneLineFailure(write, "read-only");
        AssertOneLineFailure(unauthorized, "401");
    }

    [Fact]
    public async Task Against_the_store_directly_the_same_query_answers_and_file_reads_are_refused()
    {
        var direct = await ChildProcess.RunPipelineAsync(Timeout, "query", "--store", $"duckdb:{DatabasePath}", "-o", "csv",
            "select count(distinct userId) as users from user_events");
        var file = await ChildProcess.RunPipelineAsync(Timeout, "query", "--store", $"duckdb:{DatabasePath}", "select * from read_csv('/etc/passwd')");

        Assert.True(direct.ExitCode == ExitCodes.Ok, direct.Error);
        Assert.Equal(["users", "3"], direct.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        AssertOneLineFailure(file, "read_csv");
    }

    [Fact]
    public async Task Usage_errors_and_an_unreachable_api_exit_with_one_line()
    {
        var dead = LoopbackPort.Free();

        var noToken = await ChildProcess.RunPipelineAsync(Timeout, "query-api", "--store", $"duckdb:{DatabasePath}", "--listen", "0.0.0.0:0");
        var badUrl = await ChildProcess.RunPipelineAsync(Timeout, "query", "--url", "ftp://x", "select 1");
        var unreachable = await ChildProcess.RunPipelineAsync(Timeout, "query", "--url", $"http://127.0.0.1:{dead}", "select 1");

        Assert.Equal(ExitCodes.Usage, noToken.ExitCode);
        Assert.Contains("--auth-token", noToken.Error, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Usage, badUrl.ExitCode);
        AssertOneLineFailure(unreachable, "cannot reach");
    }

    private static void AssertOneLineFailure(ProcessResult result, string expected)
    {
        Assert.True(result.ExitCode == ExitCodes.Failure, $"exit {result.ExitCode}: {result.Error}");
        var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.OrdinalIgnoreCase);
    }
}
