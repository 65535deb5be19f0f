using System.Globalization;
using StreamingPipeline.Cli.Output;
using StreamingPipeline.Processing;

namespace StreamingPipeline.Cli.Processing;

/// <summary>A job's status while it runs: one live line on a terminal, plain periodic lines otherwise (both on stderr).</summary>
public static class StatusDisplay
{
    /// <summary>Shows <paramref name="metrics"/> until <paramref name="run"/> ends.</summary>
    public static Task ShowAsync(string job, ProcessingMetrics metrics, Task run, bool plain, TimeSpan interval)
    {
        var last = (Consumed: metrics.Consumed, Emitted: metrics.Emitted);
        return StatusLine.ShowAsync(run, plain, interval, seconds =>
        {
            var now = (Consumed: metrics.Consumed, Emitted: metrics.Emitted);
            var line = FormatLine(job, metrics, now.Consumed - last.Consumed, now.Emitted - last.Emitted, seconds);
            last = now;
            return line;
        });
    }

    /// <summary>The status line: rates, lag, duplicates dropped, DLQ count, commits.</summary>
    public static string FormatLine(string job, ProcessingMetrics metrics, long consumed, long emitted, double seconds) => string.Create(
        CultureInfo.InvariantCulture,
        $"{job}: in={StatusLine.Rate(consumed, seconds):0}/s out={StatusLine.Rate(emitted, seconds):0}/s lag={metrics.Lag} partitions={metrics.AssignedPartitions} dropped={metrics.Dropped} dlq={metrics.DeadLettered} commits={metrics.Commits} aborts={metrics.Aborts} commit_p99={metrics.CommitLatencyPercentile(99):0.0}ms");
}
