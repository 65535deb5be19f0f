using System.Globalization;
using StreamingPipeline.Analytics.Ingestion;
using StreamingPipeline.Cli.Output;

namespace StreamingPipeline.Cli.Analytics;

/// <summary>The ingester's status while it runs: one live line on a terminal, plain periodic lines otherwise (both on stderr).</summary>
public static class IngestStatusDisplay
{
    /// <summary>Shows <paramref name="metrics"/> until <paramref name="run"/> ends.</summary>
    public static Task ShowAsync(IngestMetrics metrics, Task run, bool plain, TimeSpan interval)
    {
        var last = (Consumed: metrics.Consumed, Inserted: metrics.Inserted);
        return StatusLine.ShowAsync(run, plain, interval, seconds =>
        {
            var now = (Consumed: metrics.Consumed, Inserted: metrics.Inserted);
            var line = FormatLine(metrics, now.Consumed - last.Consumed, now.Inserted - last.Inserted, seconds);
            last = now;
            return line;
        });
    }

    /// <summary>The status line: rates, lag, totals, duplicates, DLQ count, commits and their latency, freshness.</summary>
    public static string FormatLine(IngestMetrics metrics, long consumed, long inserted, double seconds) => string.Create(
        CultureInfo.InvariantCulture,
        $"ingest: in={StatusLine.Rate(consumed, seconds):0}/s rows={StatusLine.Rate(inserted, seconds):0}/s lag={metrics.Lag} partitions={metrics.AssignedPartitions} stored={metrics.Inserted} duplicates={metrics.Duplicates} dlq={metrics.DeadLettered} commits={metrics.Commits} commit_p99={metrics.CommitLatencyPercentile(99):0.0}ms");
}
