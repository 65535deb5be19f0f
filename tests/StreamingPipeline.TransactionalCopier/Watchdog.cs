namespace StreamingPipeline.TransactionalCopier;

/// <summary>
/// Ends the process if a blocking client call outlives its own timeout by a margin, as a liveness probe would: a hung
/// copier is restarted by its supervisor and resumes from the committed offsets, losing nothing.
/// </summary>
internal sealed class Watchdog : IDisposable
{
    private static readonly TimeSpan Margin = TimeSpan.FromSeconds(5);
    private readonly Timer _timer;

    private Watchdog(string call, TimeSpan timeout) =>
        _timer = new Timer(_ =>
        {
            Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {call} did not return within {timeout + Margin}; exiting");
            Environment.Exit(4);
        }, null, timeout + Margin, Timeout.InfiniteTimeSpan);

    public static Watchdog Arm(string call, TimeSpan timeout) => new(call, timeout);

    public void Dispose() => _timer.Dispose();
}
