using System.Diagnostics;
using System.Globalization;
using StreamingPipeline.Processing;

namespace StreamingPipeline.Cli.Processing;

/// <summary>A job's status while it runs: one live line on a terminal, plain periodic lines otherwise (both on stderr).</summary>
public static class StatusDisplay
{
    /// <summary>Shows <paramref name="metrics"/> until <paramref name="run"/> ends.</summary>
    public static async Task ShowAsync(string job, ProcessingMetrics metrics, Task run, bool plain, TimeSpan interval)
    {
        var every = plain ? interval : TimeSpan.FromMilliseconds(500);
        var clock = Stopwatch.StartNew();
        var last = (Consumed: metrics.Consumed, Emitted: metrics.Emitted, Elapsed: clock.Elapsed);
        while (await Task.WhenAny(run, Task.Delay(every)) != run)
        {
            var now = (Consumed: metrics.Consumed, Emitted: metrics.Emitted, Elapsed: clock.Elapsed);
            var line = FormatLine(job, metrics, now.Consumed - last.Consumed, now.Emitted - last.Emitted, (now.Elapsed - last.Elapsed).TotalSeconds);
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

    /// <summary>The status line: rates, lag, duplicates dropped, DLQ count, commits.</summary>
    public static string FormatLine(string job, ProcessingMetrics metrics, long consumed, long emitted, double seconds) => string.Create(
        CultureInfo.InvariantCulture,
        $"{job}: in={Rate(consumed, seconds):0}/s out={Rate(emitted, seconds):0}/s lag={metrics.Lag} partitions={metrics.AssignedPartitions} dropped={metrics.Dropped} dlq={metrics.DeadLettered} commits={metrics.Commits} aborts={metrics.Aborts} commit_p99={metrics.CommitLatencyPercentile(99):0.0}ms");

    private static double Rate(long count, double seconds) => seconds > 0 ? count / seconds : 0;
}
