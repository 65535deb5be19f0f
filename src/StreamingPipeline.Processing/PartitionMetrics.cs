using StreamingPipeline.Processing.State;

namespace StreamingPipeline.Processing;

/// <summary>
/// Live counters of one input partition (one task) of a <see cref="StreamProcessor"/>, safe to read from any thread.
/// The counters survive reassignment (they count for the process's lifetime); lag, restore time and state describe
/// the task while this instance owns the partition (<see cref="Assigned"/>).
/// </summary>
public sealed class PartitionMetrics
{
    private long _consumed;
    private long _emitted;
    private long _deadLettered;
    private long _lag = -1;
    private long _restoreTicks = -1;
    private long _stateKeys = -1;
    private long _stateBuckets = -1;
    private long _stateDiskBytes = -1;
    private long _stateMemoryBytes = -1;
    private long _stateBlockCacheBytes = -1;
    private int _assigned;

    internal PartitionMetrics(string topic, int partition)
    {
        Topic = topic;
        Partition = partition;
    }

    /// <summary>The input topic.</summary>
    public string Topic { get; }

    /// <summary>The input partition, which is the task's id.</summary>
    public int Partition { get; }

    /// <summary>Whether this instance runs the partition's task now.</summary>
    public bool Assigned => Volatile.Read(ref _assigned) != 0;

    /// <summary>Input records processed (including ones later aborted and processed again).</summary>
    public long Consumed => Interlocked.Read(ref _consumed);

    /// <summary>Output records emitted.</summary>
    public long Emitted => Interlocked.Read(ref _emitted);

    /// <summary>Records sent to the dead-letter topic.</summary>
    public long DeadLettered => Interlocked.Read(ref _deadLettered);

    /// <summary>Input records that produced neither output nor dead letter (duplicates, for dedup).</summary>
    public long Dropped => Math.Max(0, Consumed - Emitted - DeadLettered);

    /// <summary>
    /// Records between the consumer's position and the partition's end as the read_committed consumer sees it (the last
    /// stable offset); null until measured (once a second).
    /// </summary>
    public long? Lag => Interlocked.Read(ref _lag) is var lag and >= 0 ? lag : null;

    /// <summary>How long the task's last restore took; null before the first restore finished.</summary>
    public TimeSpan? LastRestore => Interlocked.Read(ref _restoreTicks) is var ticks and >= 0 ? TimeSpan.FromTicks(ticks) : null;

    /// <summary>The task's committed state (sampled once a second); null when the task keeps no state or before the first sample.</summary>
    public StateStoreStats? State
    {
        get
        {
            var keys = Interlocked.Read(ref _stateKeys);
            if (keys < 0)
            {
                return null;
            }
            return new StateStoreStats(keys, (int)Interlocked.Read(ref _stateBuckets), Interlocked.Read(ref _stateDiskBytes), Interlocked.Read(ref _stateMemoryBytes))
            {
                BlockCacheBytes = Interlocked.Read(ref _stateBlockCacheBytes),
            };
        }
    }

    internal void Add(long consumed, long emitted, long deadLettered)
    {
        Interlocked.Add(ref _consumed, consumed);
        Interlocked.Add(ref _emitted, emitted);
        Interlocked.Add(ref _deadLettered, deadLettered);
    }

    internal void SetAssigned(bool assigned)
    {
        Volatile.Write(ref _assigned, assigned ? 1 : 0);
        if (!assigned)
        {
            Interlocked.Exchange(ref _lag, -1);
            Interlocked.Exchange(ref _stateKeys, -1);
        }
    }

    internal void SetLag(long lag) => Interlocked.Exchange(ref _lag, lag);

    internal void SetRestore(TimeSpan elapsed) => Interlocked.Exchange(ref _restoreTicks, elapsed.Ticks);

    internal void SetState(StateStoreStats stats)
    {
        Interlocked.Exchange(ref _stateBuckets, stats.Buckets);
        Interlocked.Exchange(ref _stateDiskBytes, stats.BytesOnDisk);
        Interlocked.Exchange(ref _stateMemoryBytes, stats.MemoryBytes);
        Interlocked.Exchange(ref _stateBlockCacheBytes, stats.BlockCacheBytes);
        // Keys last: a reader that sees them sees the rest of this sample (or a later one).
        Interlocked.Exchange(ref _stateKeys, stats.Keys);
    }
}
