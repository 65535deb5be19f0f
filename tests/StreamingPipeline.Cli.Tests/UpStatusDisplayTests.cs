using Spectre.Console;
using StreamingPipeline.Cli.Up;
using StreamingPipeline.Events.Producing;

namespace StreamingPipeline.Cli.Tests;

/// <summary>What <c>pipeline up</c>'s status shows for two known snapshots, as a plain line and as the terminal table.</summary>
public sealed class UpStatusDisplayTests
{
    private static readonly UpSnapshot Before = Snapshot(TimeSpan.FromSeconds(10), generatorSent: 1_000, emitted: 900, dlq: 2, ends: [1_000, 950, 2], rows: 800, dedupState: "running");
    private static readonly UpSnapshot After = Snapshot(TimeSpan.FromSeconds(15), generatorSent: 2_000, emitted: 1_850, dlq: 5, ends: [2_000, 1_990, 5], rows: 1_700, dedupState: "failed");

    [Fact]
    public void ThePlainLineHasRatesFromWhatWasWrittenEndOffsetsLagAndTheStore() =>
        Assert.Equal(
            "up 0m15s: input-user-events=200/s(end 2,000) output-user-events=190/s(end 1,990) user-events-dlq=1/s(end 5) | dedup lag=7 dropped=145 dlq=5 | ingest lag=3 rows=180/s | store=1,700 rows | dedup:failed",
            UpStatusDisplay.FormatLine(Before, After));

    [Fact]
    public void TheTableShowsEachComponentsStateAndFiguresAndWhatWasRecovered()
    {
        var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Ansi = AnsiSupport.No });
        console.Profile.Width = 200;

        console.Write(UpStatusDisplay.Render(Before, After, "recovered: input-user-events 1,000"));

        var text = output.ToString();
        Assert.Contains("generator   running   200/s, sent 2,000, acknowledged 2,000, failed 0", text, StringComparison.Ordinal);
        Assert.Contains("dedup       failed    in 200/s, out 190/s, lag 7, duplicates dropped 145, dlq 5, 8 partitions, 40 commits", text, StringComparison.Ordinal);
        Assert.Contains("broker      running   127.0.0.1:9092", text, StringComparison.Ordinal);
        Assert.Matches(@"output-user-events\s+190\s+1,850\s+1,990", text);
        Assert.Contains("recovered: input-user-events 1,000", text, StringComparison.Ordinal);
    }

    private static UpSnapshot Snapshot(TimeSpan elapsed, long generatorSent, long emitted, long dlq, long[] ends, long rows, string dedupState) => new(
        elapsed,
        [("broker", "running", "127.0.0.1:9092"), ("generator", "running", ""), ("dedup", dedupState, ""), ("ingest", "running", "")],
        [("input-user-events", ends[0]), ("output-user-events", ends[1]), ("user-events-dlq", ends[2])],
        [generatorSent, emitted, dlq],
        new ProducerProgress(generatorSent, generatorSent, 0, 0, null, elapsed),
        new UpSnapshot.DedupCounters(generatorSent, emitted, generatorSent - emitted - dlq, dlq, 7, 8, 40),
        new UpSnapshot.IngestCounters(emitted, rows, 0, 0, 3),
        rows);
}
