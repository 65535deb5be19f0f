namespace StreamingPipeline.Processing.Tests;

/// <summary>Waits for a condition with a deadline instead of sleeping and hoping.</summary>
internal static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TestCluster.Timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out after {TestCluster.Timeout} waiting for {what}.");
            }
            await Task.Delay(20);
        }
    }
}
