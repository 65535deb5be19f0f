using DuckDB.NET.Data;
using static Microsoft.Playwright.Assertions;

namespace StreamingPipeline.EndToEnd.Tests.Console;

/// <summary>
/// The console behind a bearer token, in a real browser (<c>pipeline query-api --auth-token</c>): the page loads without
/// the token and asks for it; a wrong token is refused with a message saying so; the right one opens the data.
/// </summary>
public sealed class WebConsoleTokenBrowserTests : IAsyncLifetime
{
    private const string Token = "console-s3cret";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    private readonly TempDirectory _directory = new("pipeline-console-token-");
    private ChildProcess? _api;
    private string _url = "";

    public async Task InitializeAsync()
    {
        SetDefaultExpectTimeout((float)Deadline.TotalMilliseconds);
        var database = _directory.Combine("analytics.duckdb");
        await using (var connection = new DuckDBConnection($"Data Source={database}"))
        {
            // query-api serves an existing store read-only; one table is all the query below needs.
            await connection.OpenAsync();
            await using var create = connection.CreateCommand();
            create.CommandText = "CREATE TABLE user_events (eventId VARCHAR)";
            await create.ExecuteNonQueryAsync();
        }
        var port = LoopbackPort.Free();
        _api = ChildProcess.StartPipeline("query-api", "--store", $"duckdb:{database}", "--listen", $"127.0.0.1:{port}", "--auth-token", Token);
        await _api.WaitForPortAsync(port, TimeSpan.FromSeconds(120));
        _url = $"http://127.0.0.1:{port}/";
    }

    [Fact]
    public async Task The_page_asks_for_the_token_says_when_it_is_refused_and_works_with_the_right_one()
    {
        await using var browser = await ConsoleBrowser.LaunchAsync();
        var page = browser.Page;
        await page.GotoAsync(_url);

        var dialog = page.GetByTestId("token-dialog");
        await Expect(dialog).ToBeVisibleAsync();
        await Expect(page.GetByTestId("token-error")).ToBeHiddenAsync();
        await browser.ScreenshotAsync("token-prompt");

        await page.GetByTestId("token-input").FillAsync("not-the-token");
        await page.GetByTestId("token-submit").ClickAsync();
        await Expect(page.GetByTestId("token-error")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("token-error")).ToContainTextAsync("refused that token");
        await Expect(dialog).ToBeVisibleAsync();
        await browser.ScreenshotAsync("token-refused");

        await page.GetByTestId("token-input").FillAsync(Token);
        await page.GetByTestId("token-submit").ClickAsync();
        await Expect(dialog).ToBeHiddenAsync();
        // The API now answers: this query-api has no Kafka, which the page says instead of asking again.
        await Expect(page.GetByTestId("status")).ToContainTextAsync("Kafka not configured");

        await page.Locator("nav a[data-page='sql']").ClickAsync();
        await page.GetByTestId("sql-text").FillAsync("select count(*) as events from user_events");
        await page.GetByTestId("sql-run").ClickAsync();
        await Expect(page.GetByTestId("sql-table").Locator("tbody tr")).ToHaveCountAsync(1);
        await Expect(page.GetByTestId("sql-error")).ToBeHiddenAsync();
        await Expect(dialog).ToBeHiddenAsync();

        // The browser logs each refused request (401) and the Kafka pages' 503 as failed loads; nothing else may fail.
        var errors = browser.Errors.Where(e => !e.Contains("Failed to load resource", StringComparison.Ordinal)).ToList();
        Assert.True(errors.Count == 0, "JavaScript errors:\n" + string.Join('\n', errors));
    }

    public async Task DisposeAsync()
    {
        if (_api is not null)
        {
            await _api.DisposeAsync();
        }
        _directory.Dispose();
    }
}
