namespace StreamingPipeline.Broker.Log.Cleaner;

/// <summary>Settings of the broker's log cleaner (Kafka's log.cleaner.* broker configs).</summary>
internal sealed record LogCleanerOptions
{
    /// <summary>Memory of the offset map (log.cleaner.dedupe.buffer.size); a partition with more keys is cleaned over several passes.</summary>
    public long DedupeBufferBytes { get; init; } = 32L * 1024 * 1024;

    /// <summary>How long the cleaner sleeps when no log needs cleaning (log.cleaner.backoff.ms).</summary>
    public TimeSpan Backoff { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Bytes per second the cleaner may read plus write (log.cleaner.io.max.bytes.per.second);
    /// <see cref="double.PositiveInfinity"/> (the default here; the broker's is <see cref="BrokerOptions.LogCleanerIoMaxBytesPerSecond"/>) for no limit.
    /// </summary>
    public double IoMaxBytesPerSecond { get; init; } = double.PositiveInfinity;

    /// <summary>False runs no background passes (log.cleaner.enable); passes can still be requested.</summary>
    public bool Enabled { get; init; } = true;
}
