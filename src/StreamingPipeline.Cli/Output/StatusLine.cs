using System.Diagnostics;

namespace StreamingPipeline.Cli.Output;

/// <summary>
/// A component's status while it runs, on stderr: one line rewritten in place on a terminal (every 500 ms), or a plain
/// line every <c>interval</c> when stderr is redirected. The caller formats the line from the time since the last one.
/// </summary>
public static class StatusLine
{
    private static readonly TimeSpan TerminalInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>Shows <paramref name="format"/>'s line (given the seconds since the previous line) until <paramref name="run"/> ends.</summary>
    public static async Task ShowAsync(Task run, bool plain, TimeSpan interval, Func<double, string> format)
    {
        var every = plain ? interval : TerminalInterval;
        var clock = Stopwatch.StartNew();
        var last = clock.Elapsed;
        while (await Task.WhenAny(run, Task.Delay(every)) != run)
        {
            var now = clock.Elapsed;
            var line = format((now - last).TotalSeconds);
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

    /// <summary>Events per second, 0 for an empty interval.</summary>
    public static double Rate(long count, double seconds) => seconds > 0 ? count / seconds : 0;
}
