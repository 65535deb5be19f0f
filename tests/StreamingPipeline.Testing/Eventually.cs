namespace StreamingPipeline.Testing;

/// <summary>Waits for a condition that background work makes true, failing with a <see cref="TimeoutException"/> at a deadline.</summary>
public static class Eventually
{
    /// <summary>Generous, because the machine running the tests may be loaded; a passing test never waits this long.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(10);

    /// <summary>Polls <paramref name="condition"/> until it holds; <paramref name="what"/> completes "timed out waiting until …".</summary>
    public static async Task TrueAsync(Func<bool> condition, string what, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        await WaitAsync(() => condition() ? string.Empty : null, what, timeout, cancellationToken);
    }

    /// <summary>Polls <paramref name="probe"/> until it returns a value, and returns that value.</summary>
    public static async Task<T> WaitAsync<T>(Func<T?> probe, string what, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        where T : class
    {
        var limit = timeout ?? DefaultTimeout;
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            if (probe() is { } value)
            {
                return value;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out after {limit} waiting until {what}.");
            }
            await Task.Delay(PollInterval, cancellationToken);
        }
    }
}
