namespace StreamingPipeline.Broker.Log;

/// <summary>Settings of the log manager itself, as opposed to the per-topic <see cref="LogConfig"/>.</summary>
internal sealed record LogManagerOptions
{
    /// <summary>How often retention runs over every partition (Kafka's log.retention.check.interval.ms).</summary>
    public TimeSpan RetentionCheckInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How often partitions are checked for a due flush.ms flush (Kafka's log.flush.scheduler.interval.ms).</summary>
    public TimeSpan FlushCheckInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The most partitions one topic may have; more is INVALID_PARTITIONS.</summary>
    public int MaxPartitionsPerTopic { get; init; } = 10_000;

    /// <summary>
    /// Builds the producer-state guard of each partition as it is opened or created, before it serves appends; null
    /// leaves partitions unguarded.
    /// </summary>
    public Func<PartitionLog, IBatchAppendGuard>? AppendGuardFactory { get; init; }
}
