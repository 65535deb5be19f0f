namespace StreamingPipeline.Broker.Transactions;

/// <summary>Settings of a partition's <see cref="ProducerStateManager"/>.</summary>
internal sealed record ProducerStateManagerOptions
{
    /// <summary>
    /// How long a producer with no open transaction is remembered after its last append (Kafka's
    /// producer.id.expiration.ms, default one day); measured on the broker's clock, not on batch timestamps.
    /// </summary>
    public long ProducerIdExpirationMs { get; init; } = 86_400_000;

    /// <summary>Snapshot files kept; older ones are deleted when a new one is written.</summary>
    public int SnapshotsToRetain { get; init; } = 3;

    /// <summary>Fsync every aborted-index append (default off: the OS page cache survives a killed process).</summary>
    public bool FlushToDisk { get; init; }
}
