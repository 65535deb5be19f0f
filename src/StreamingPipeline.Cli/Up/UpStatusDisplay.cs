using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;
using StreamingPipeline.Cli.Output;

namespace StreamingPipeline.Cli.Up;

/// <summary>
/// <c>pipeline up</c>'s live status on stderr: a table refreshed every second on a terminal, or a plain line every
/// <c>interval</c> when stderr is redirected (a log file, a CI job). It ends when the token is cancelled.
/// </summary>
public static class UpStatusDisplay
{
    private static readonly TimeSpan TerminalInterval = TimeSpan.FromSeconds(1);

    /// <summary>Shows <paramref name="status"/> (and what a restart <paramref name="recovered"/>, if anything) until <paramref name="cancellationToken"/> is cancelled.</summary>
    public static async Task ShowAsync(UpStatus status, string? recovered, bool plain, TimeSpan interval, CancellationToken cancellationToken)
    {
        try
        {
            var previous = await status.SampleAsync(cancellationToken);
            if (plain)
            {
                if (recovered is not null)
                {
                    await Console.Error.WriteLineAsync(recovered);
                }
                while (true)
                {
                    await Task.Delay(interval, cancellationToken);
                    var now = await status.SampleAsync(cancellationToken);
                    await Console.Error.WriteLineAsync(FormatLine(previous, now));
                    previous = now;
                }
            }
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
            await console.Live(Render(previous, previous, recovered)).AutoClear(false).StartAsync(async live =>
            {
                while (!cancellationToken.IsCancellationRequested)
                {
                    await Task.Delay(TerminalInterval, cancellationToken);
                    var now = await status.SampleAsync(cancellationToken);
                    live.UpdateTarget(Render(previous, now, recovered));
                    previous = now;
                }
            });
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl+C: up prints its shutdown lines after this.
        }
    }

    /// <summary>The plain status line: uptime, components, per-topic rates and ends, dedup, ingest and store figures.</summary>
    public static string FormatLine(UpSnapshot previous, UpSnapshot now)
    {
        var seconds = (now.Elapsed - previous.Elapsed).TotalSeconds;
        var topics = string.Join(" ", now.TopicEnds.Select(t => $"{t.Topic}={Rate(previous, now, t.Topic, seconds)}/s(end {UpStatus.Count(t.EndOffsets)})"));
        var down = now.Components.Where(c => c.State != "running").Select(c => $"{c.Name}:{c.State}").ToList();
        var ingestRate = StatusLine.Rate(now.Ingest.Inserted - previous.Ingest.Inserted, seconds);
        var line = string.Create(CultureInfo.InvariantCulture,
            $"up {Uptime(now.Elapsed)}: {topics} | dedup lag={now.Dedup.Lag} dropped={now.Dedup.Dropped} dlq={now.Dedup.DeadLettered} | ingest lag={now.Ingest.Lag} rows={ingestRate:0}/s | store={UpStatus.Count(now.StoreRows)} rows");
        return down.Count > 0 ? $"{line} | {string.Join(' ', down)}" : line;
    }

    /// <summary>The terminal view: components with their figures, then topics with their rates and end offsets, then what a restart recovered.</summary>
    public static IRenderable Render(UpSnapshot previous, UpSnapshot now, string? recovered = null)
    {
        var seconds = (now.Elapsed - previous.Elapsed).TotalSeconds;
        var components = new Table().Border(TableBorder.Simple).Title($"pipeline up · {Uptime(now.Elapsed)} · Ctrl+C to stop");
        components.AddColumns("component", "state", "figures");
        foreach (var (name, state, detail) in now.Components)
        {
            var figures = detail.Length > 0 ? detail : Figures(name, previous, now, seconds);
            components.AddRow(Markup.Escape(name), state == "running" ? "[green]running[/]" : $"[red]{Markup.Escape(state)}[/]", Markup.Escape(figures));
        }
        var topics = new Table().Border(TableBorder.Simple);
        topics.AddColumns("topic", "records/s", "written this run", "end offsets");
        foreach (var (topic, ends) in now.TopicEnds)
        {
            var written = now.TopicWrites[now.TopicEnds.Select(t => t.Topic).ToList().IndexOf(topic)];
            topics.AddRow(Markup.Escape(topic), Rate(previous, now, topic, seconds), UpStatus.Count(written), UpStatus.Count(ends));
        }
        return recovered is null ? new Rows(components, topics) : new Rows(components, topics, new Text(recovered));
    }

    private static string Figures(string component, UpSnapshot previous, UpSnapshot now, double seconds) => component switch
    {
        "generator" when now.Generator is { } g => string.Create(CultureInfo.InvariantCulture,
            $"{StatusLine.Rate(g.Sent - (previous.Generator?.Sent ?? 0), seconds):0}/s, sent {UpStatus.Count(g.Sent)}, acknowledged {UpStatus.Count(g.Acknowledged)}, failed {g.Failed}"),
        "dedup" => string.Create(CultureInfo.InvariantCulture,
            $"in {StatusLine.Rate(now.Dedup.Consumed - previous.Dedup.Consumed, seconds):0}/s, out {StatusLine.Rate(now.Dedup.Emitted - previous.Dedup.Emitted, seconds):0}/s, lag {now.Dedup.Lag}, duplicates dropped {UpStatus.Count(now.Dedup.Dropped)}, dlq {now.Dedup.DeadLettered}, {now.Dedup.Partitions} partitions, {UpStatus.Count(now.Dedup.Commits)} commits"),
        "ingest" => string.Create(CultureInfo.InvariantCulture,
            $"{StatusLine.Rate(now.Ingest.Inserted - previous.Ingest.Inserted, seconds):0} rows/s, lag {now.Ingest.Lag}, store {UpStatus.Count(now.StoreRows)} rows, duplicates {now.Ingest.Duplicates}, dlq {now.Ingest.DeadLettered}"),
        _ => "",
    };

    /// <summary>Records per second the pipeline wrote to <paramref name="topic"/> (not end offsets, which move with transaction markers too).</summary>
    private static string Rate(UpSnapshot previous, UpSnapshot now, string topic, double seconds)
    {
        var index = now.TopicEnds.Select(t => t.Topic).ToList().IndexOf(topic);
        return StatusLine.Rate(now.TopicWrites[index] - previous.TopicWrites[index], seconds).ToString("0", CultureInfo.InvariantCulture);
    }

    private static string Uptime(TimeSpan elapsed) => elapsed.TotalHours >= 1
        ? string.Create(CultureInfo.InvariantCulture, $"{(int)elapsed.TotalHours}h{elapsed.Minutes:00}m{elapsed.Seconds:00}s")
        : string.Create(CultureInfo.InvariantCulture, $"{elapsed.Minutes}m{elapsed.Seconds:00}s");
}
