using Microsoft.Playwright;

namespace StreamingPipeline.EndToEnd.Tests.Console;

/// <summary>
/// Debian's chromium driven by Playwright, headless: no browser download (the Playwright package ships only its
/// driver). It records every JavaScript error the page logs or throws, and saves screenshots under the test output.
/// </summary>
internal sealed class ConsoleBrowser : IAsyncDisposable
{
    /// <summary>Where ./test installs chromium (apt-get install chromium).</summary>
    public const string ChromiumPath = "/usr/bin/chromium";

    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;
    private readonly List<string> _errors = [];

    private ConsoleBrowser(IPlaywright playwright, IBrowser browser, IPage page)
    {
        _playwright = playwright;
        _browser = browser;
        Page = page;
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                Add($"console.error: {message.Text}");
            }
        };
        page.PageError += (_, error) => Add($"uncaught: {error}");
    }

    public IPage Page { get; }

    /// <summary>JavaScript errors so far.</summary>
    public IReadOnlyList<string> Errors
    {
        get
        {
            lock (_errors)
            {
                return [.. _errors];
            }
        }
    }

    /// <summary>The folder screenshots go to: artifacts/console under the test's output directory.</summary>
    public static string ArtifactsDirectory => Path.Combine(AppContext.BaseDirectory, "artifacts", "console");

    public static async Task<ConsoleBrowser> LaunchAsync()
    {
        // Never let a missing browser turn into a download attempt.
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        var playwright = await Playwright.CreateAsync();
        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = ChromiumPath,
                Headless = true,
                // Tests may run as root (containers), where chromium refuses its sandbox.
                Args = ["--no-sandbox", "--disable-dev-shm-usage"],
                Timeout = 120_000,
            });
            var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 1000 } });
            page.SetDefaultTimeout(60_000);
            return new ConsoleBrowser(playwright, browser, page);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    /// <summary>Saves a full-page screenshot as <paramref name="name"/>.png in <see cref="ArtifactsDirectory"/>.</summary>
    public async Task<string> ScreenshotAsync(string name)
    {
        Directory.CreateDirectory(ArtifactsDirectory);
        var path = Path.Combine(ArtifactsDirectory, name + ".png");
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        return path;
    }

    private void Add(string error)
    {
        lock (_errors)
        {
            _errors.Add(error);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}
