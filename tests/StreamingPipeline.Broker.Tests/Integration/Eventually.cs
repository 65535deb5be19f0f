namespace StreamingPipeline.Broker.Tests.Integration;

/// <summary>Waits for a condition with a deadline instead of sleeping and hoping.</summary>
internal static class Eventually
{
    public static async Task<T> WaitAsync<T>(Func<T?> probe, TimeSpan timeout, string what, TimeSpan? interval = null)
        where T : class
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (probe() is { } value)
            {
                return value;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out after {timeout} waiting for {what}.");
            }
            await Task.Delay(interval ?? TimeSpan.FromMilliseconds(20));
        }
    }

    public static async Task TrueAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        await WaitAsync(() => condition() ? "" : null, timeout, what);
    }
}
