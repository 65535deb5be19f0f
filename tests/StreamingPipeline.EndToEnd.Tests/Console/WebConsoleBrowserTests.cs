using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace StreamingPipeline.EndToEnd.Tests.Console;

/// <summary>
/// The web console in a real browser, on a running <c>pipeline up</c>: the pipeline page's rates and charts move,
/// a group's lag shows, a topic opens, the SQL console runs the seed query and shows a bad query's error, and the
/// page logs no JavaScript error. Screenshots land in artifacts/console under the test output.
/// </summary>
public sealed partial class WebConsoleBrowserTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    private readonly TempDirectory _dataDirectory = new("pipeline-console-");
    private ChildProcess? _up;
    private string _url = "";

    public async Task InitializeAsync()
    {
        SetDefaultExpectTimeout((float)Deadline.TotalMilliseconds);
        var brokerPort = LoopbackPort.Free();
        var queryPort = LoopbackPort.Free();
        _up = ChildProcess.StartPipeline("up", "--data-dir", _dataDirectory.Path, "--listen", $"127.0.0.1:{brokerPort}",
            "--query-listen", $"127.0.0.1:{queryPort}", "--rate", "200", "--duplicates", "0.1", "--malformed", "0.02");
        await _up.WaitForPortAsync(queryPort, TimeSpan.FromSeconds(120));
        _url = $"http://127.0.0.1:{queryPort}/";
    }

    [Fact]
    public async Task TheConsoleShowsTheRunningPipelineItsGroupsTopicsAndRunsSql()
    {
        await using var browser = await ConsoleBrowser.LaunchAsync();
        var page = browser.Page;
        await page.GotoAsync(_url);

        // Pipeline: every edge of the flow carries a non-zero rate, and the throughput chart's line moves.
        foreach (var edge in new[] { "edge-generator-input", "edge-input-dedup", "edge-dedup-output" })
        {
            await Expect(page.GetByTestId(edge)).ToHaveAttributeAsync("data-rate", NonZero());
        }
        await Expect(page.GetByTestId("pill-broker").Or(page.GetByTestId("pill-input"))).ToHaveAttributeAsync("data-state", "up");
        var inputLine = page.GetByTestId("chart-throughput").Locator("path").First;
        var before = await inputLine.GetAttributeAsync("d");
        await Expect(inputLine).Not.ToHaveAttributeAsync("d", before ?? "");
        await Expect(page.GetByTestId("chart-lag").Locator(".legend span[data-series='p0']")).ToBeVisibleAsync();
        // A topic box sums offsets, which on the transactional output topic include commit markers: it says offsets.
        await Expect(page.GetByTestId("node-output")).ToContainTextAsync("offsets");
        await Expect(page.GetByTestId("node-output")).Not.ToContainTextAsync("records");
        await browser.ScreenshotAsync("pipeline");
        var away = Stopwatch.StartNew();

        // Consumer groups: the dedup group with its committed offsets and lag per partition.
        await page.Locator("nav a[data-page='groups']").ClickAsync();
        await page.Locator("#groups tr[data-group='pipeline-dedup']").ClickAsync();
        await Expect(page.GetByTestId("group-partitions").Locator("tbody tr")).ToHaveCountAsync(8);
        await Expect(page.GetByTestId("group-partitions")).ToContainTextAsync("input-user-events");
        await Expect(page.GetByTestId("group-members").Locator("tbody tr")).Not.ToHaveCountAsync(0);
        await browser.ScreenshotAsync("groups");

        // Topics: the input topic's partitions, and its newest messages in the browser, JSON pretty-printed.
        await page.Locator("nav a[data-page='topics']").ClickAsync();
        await page.Locator("#topics tr[data-topic='input-user-events']").ClickAsync();
        await Expect(page.GetByTestId("partitions-table").Locator("tbody tr")).ToHaveCountAsync(8);
        var messages = page.GetByTestId("messages-table").Locator("tbody tr");
        await Expect(messages.First).ToBeVisibleAsync();
        await Expect(messages.First).ToContainTextAsync("\"eventId\": ");
        await page.GetByTestId("browse-partition").SelectOptionAsync("3");
        await page.GetByTestId("browse-start").SelectOptionAsync("beginning");
        await page.GetByTestId("browse-limit").FillAsync("5");
        await page.GetByTestId("browse-load").ClickAsync();
        await Expect(page.GetByTestId("browse-info")).ToHaveTextAsync(new Regex("^5 messages"));
        await Expect(page.GetByTestId("messages-table").Locator("tbody tr").First).ToHaveAttributeAsync("data-offset", "0");
        await browser.ScreenshotAsync("topics");

        // DLQ: the malformed records the generator sent, with their reason and source.
        await page.Locator("nav a[data-page='dlq']").ClickAsync();
        var dead = page.GetByTestId("dlq-table").Locator("tbody tr");
        await Expect(dead.First).ToBeVisibleAsync();
        await Expect(dead.First).ToContainTextAsync("input-user-events/");
        await browser.ScreenshotAsync("dlq");

        // SQL: the seed query (Ctrl+Enter) shows its rows once the ingester has loaded some; a bad query its error.
        await page.Locator("nav a[data-page='sql']").ClickAsync();
        var sql = page.GetByTestId("sql-text");
        var rows = page.GetByTestId("sql-table").Locator("tbody tr");
        var deadline = DateTime.UtcNow + Deadline;
        while (true)
        {
            await sql.FillAsync("select * from \"user-events\" limit 10");
            await sql.PressAsync("Control+Enter");
            // The key handler marks the run synchronously; its answer replaces the mark.
            await Expect(page.GetByTestId("sql-info")).ToContainTextAsync("timeUsedMs");
            if (await rows.CountAsync() == 10 || DateTime.UtcNow > deadline)
            {
                break;
            }
            await page.WaitForTimeoutAsync(500); // the ingester commits every 200 ms; ask again shortly
        }
        await Expect(rows).ToHaveCountAsync(10);
        await Expect(page.GetByTestId("sql-table").Locator("thead")).ToContainTextAsync("eventId");
        await Expect(page.GetByTestId("sql-error")).ToBeHiddenAsync();
        await browser.ScreenshotAsync("sql");

        await sql.FillAsync("select no_such_column from user_events");
        await page.GetByTestId("sql-run").ClickAsync();
        await Expect(page.GetByTestId("sql-error")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("sql-error")).ToContainTextAsync("no_such_column");
        await browser.ScreenshotAsync("sql-error");

        // Back on the pipeline page after a while away: the charts kept collecting meanwhile (no gap), and no line
        // runs back in time. The visit above takes longer than this anyway; the wait only guards a very fast machine.
        if (away.Elapsed < AwayAtLeast)
        {
            await page.WaitForTimeoutAsync((float)(AwayAtLeast - away.Elapsed).TotalMilliseconds);
        }
        await page.Locator("nav a[data-page='pipeline']").ClickAsync();
        await Expect(page.GetByTestId("edge-dedup-output")).ToHaveAttributeAsync("data-rate", NonZero());
        var maxGap = long.Parse(await page.GetByTestId("chart-throughput").GetAttributeAsync("data-max-gap-ms") ?? "0", CultureInfo.InvariantCulture);
        Assert.True(maxGap < MaxChartGap.TotalMilliseconds, $"the throughput chart has a gap of {maxGap} ms after {away.Elapsed} on other pages");
        foreach (var chart in new[] { "chart-throughput", "chart-lag" })
        {
            foreach (var d in await page.GetByTestId(chart).Locator("path").EvaluateAllAsync<string[]>("paths => paths.map(p => p.getAttribute('d'))"))
            {
                var xs = PathX().Matches(d).Select(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToList();
                Assert.True(xs.Zip(xs.Skip(1)).All(p => p.Second >= p.First), $"a line of {chart} runs back in time: {d}");
            }
        }
        await browser.ScreenshotAsync("console");

        Assert.True(browser.Errors.Count == 0, "JavaScript errors:\n" + string.Join('\n', browser.Errors));
    }

    [GeneratedRegex(@"^[0-9.]*[1-9][0-9.e+]*$")]
    private static partial Regex NonZero();

    /// <summary>The x coordinate of each point of an SVG path ("M x y L x y ...").</summary>
    [GeneratedRegex(@"[ML](-?[0-9.]+) ")]
    private static partial Regex PathX();

    /// <summary>How long the test stays away from the pipeline page at least, so a chart that stopped meanwhile shows a gap.</summary>
    private static readonly TimeSpan AwayAtLeast = TimeSpan.FromSeconds(20);

    /// <summary>The widest gap allowed between two chart points: polls are a second apart, slower only on a loaded machine.</summary>
    private static readonly TimeSpan MaxChartGap = TimeSpan.FromSeconds(10);

    public async Task DisposeAsync()
    {
        if (_up is not null)
        {
            await _up.DisposeAsync();
        }
        _dataDirectory.Dispose();
    }
}
