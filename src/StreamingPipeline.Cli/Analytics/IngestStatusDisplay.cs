using System.Diagnostics;
using System.Globalization;
using StreamingPipeline.Analytics.Ingestion;

namespace StreamingPipeline.Cli.Analytics;

/// <summary>The ingester's status while it runs: one live line on a terminal, plain periodic lines otherwise (both on stderr).</summary>
public static class IngestStatusDisplay
{
    /// <summary>Shows <paramref name="metrics"/> until <paramref name="run"/> ends.</summary>
    public static async Task ShowAsync(IngestMetrics metrics, Task run, bool plain, TimeSpan interval)
    {
        var every = plain ? interval : TimeSpan.FromMilliseconds(500);
        var clock = Stopwatch.StartNew();
        var last = (Consumed: metrics.Consumed, Inserted: metrics.Inserted, Elapsed: clock.Elapsed);
        while (await Task.WhenAny(run, Task.Delay(every)) != run)
        {
            var now = (Consumed: metrics.Consumed, Inserted: metrics.Inserted, Elapsed: clock.Elapsed);
            var line = FormatLine(metrics, now.Consumed - last.Consumed, now.Inserted - last.Inserted, (now.Elapsed - last.Elapsed).TotalSeconds);
            last = now;
            if (plain)
            {
                await Console.Error.WriteLineAsync(line);
            }
            else
            {
                // \e[2K clears the previous, possibly longer, line.
                await Console.Error.WriteAsync("\r\u001b[2K" + line);
            }
        }
        if (!plain)
        {
            await Console.Error.WriteLineAsync();
        }
    }

    /// <summary>The status line: rates, lag, totals, duplicates, DLQ count, commits and their latency, freshness.</summary>
    public static string FormatLine(IngestMetrics metrics, long consumed, long inserted, double seconds) => string.Create(
        CultureInfo.InvariantCulture,
        $"ingest: in={Rate(consumed, seconds):0}/s rows={Rate(inserted, seconds):0}/s lag={metrics.Lag} partitions={metrics.AssignedPartitions} stored={metrics.Inserted} duplicates={metrics.Duplicates} dlq={metrics.DeadLettered} commits={metrics.Commits} commit_p99={metrics.CommitLatencyPercentile(99):0.0}ms");

    private static double Rate(long count, double seconds) => seconds > 0 ? count / seconds : 0;
}
