using System.Globalization;
using Spectre.Console;
using StreamingPipeline.Events.Producing;

namespace StreamingPipeline.Cli.Produce;

/// <summary>
/// Shows a run's progress while it lasts: a live Spectre.Console table on a terminal, plain periodic lines
/// when stderr is redirected (CI, logs), nothing when quiet. Everything goes to stderr so stdout stays clean.
/// </summary>
public static class ProgressDisplay
{
    /// <summary>The mode for this process: live on a terminal, plain when redirected.</summary>
    public static ProgressMode Detect(bool quiet) =>
        quiet ? ProgressMode.Quiet : Console.IsErrorRedirected ? ProgressMode.Plain : ProgressMode.Live;

    /// <summary>Shows <paramref name="producer"/>'s progress until <paramref name="run"/> completes.</summary>
    public static async Task ShowAsync(ProgressMode mode, EventProducer producer, Task run, TimeSpan interval)
    {
        switch (mode)
        {
            case ProgressMode.Live:
                await ShowLiveAsync(producer, run);
                break;
            case ProgressMode.Plain:
                await ShowPlainAsync(producer, run, interval);
                break;
            default:
                await run;
                break;
        }
    }

    private static async Task ShowPlainAsync(EventProducer producer, Task run, TimeSpan interval)
    {
        var last = producer.Progress;
        while (await Task.WhenAny(run, Task.Delay(interval)) != run)
        {
            var now = producer.Progress;
            await Console.Error.WriteLineAsync(FormatLine(now, last));
            last = now;
        }
        await run;
    }

    private static async Task ShowLiveAsync(EventProducer producer, Task run)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        var table = new Table().Border(TableBorder.Rounded).AddColumns("rate/s", "sent", "acked", "in flight", "errors", "elapsed");
        table.AddRow("", "", "", "", "", "");
        var last = producer.Progress;
        await console.Live(table).StartAsync(async context =>
        {
            while (await Task.WhenAny(run, Task.Delay(TimeSpan.FromMilliseconds(500))) != run)
            {
                var now = producer.Progress;
                Update(table, now, last);
                context.Refresh();
                last = now;
            }
            Update(table, producer.Progress, last);
            context.Refresh();
        });
        await run;
    }

    private static void Update(Table table, ProducerProgress now, ProducerProgress last)
    {
        var errors = now.Failed + now.BrokerErrors;
        table.UpdateCell(0, 0, Rate(now, last).ToString("N0", CultureInfo.InvariantCulture));
        table.UpdateCell(0, 1, now.Sent.ToString("N0", CultureInfo.InvariantCulture));
        table.UpdateCell(0, 2, now.Acknowledged.ToString("N0", CultureInfo.InvariantCulture));
        table.UpdateCell(0, 3, now.InFlight.ToString("N0", CultureInfo.InvariantCulture));
        table.UpdateCell(0, 4, errors == 0 ? "0" : $"[red]{errors}[/]");
        table.UpdateCell(0, 5, now.Elapsed.ToString(@"hh\:mm\:ss", CultureInfo.InvariantCulture));
        table.Caption(new TableTitle(now.LastBrokerError is { } error && errors > 0 ? Markup.Escape("last error: " + error) : " "));
    }

    /// <summary>The plain progress line.</summary>
    public static string FormatLine(ProducerProgress now, ProducerProgress last) => string.Create(
        CultureInfo.InvariantCulture,
        $"produce: elapsed={now.Elapsed.TotalSeconds:0}s rate={Rate(now, last):0}/s sent={now.Sent} acked={now.Acknowledged} in_flight={now.InFlight} failed={now.Failed} broker_errors={now.BrokerErrors}{(now.LastBrokerError is { } e && now.BrokerErrors > last.BrokerErrors ? $" last_error=\"{e}\"" : "")}");

    private static double Rate(ProducerProgress now, ProducerProgress last)
    {
        var seconds = (now.Elapsed - last.Elapsed).TotalSeconds;
        return seconds > 0 ? (now.Sent - last.Sent) / seconds : 0;
    }
}
