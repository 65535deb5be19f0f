namespace StreamingPipeline.Events.Producing;

/// <summary>A snapshot of a run's counters, for the progress display.</summary>
/// <param name="Sent">Records handed to the producer.</param>
/// <param name="Acknowledged">Records the broker acknowledged.</param>
/// <param name="Failed">Records whose delivery failed for good.</param>
/// <param name="BrokerErrors">Connection-level errors reported by the client (it retries them).</param>
/// <param name="LastBrokerError">The latest such error, or null.</param>
/// <param name="Elapsed">Time since the run started sending.</param>
public readonly record struct ProducerProgress(
    long Sent,
    long Acknowledged,
    long Failed,
    long BrokerErrors,
    string? LastBrokerError,
    TimeSpan Elapsed)
{
    /// <summary>Records sent but not yet acknowledged or failed.</summary>
    public long InFlight => Sent - Acknowledged - Failed;
}
