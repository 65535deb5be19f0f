using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace StreamingPipeline.Processing;

/// <summary>Live counters of a <see cref="StreamProcessor"/>, safe to read from any thread (status line, benchmarks).</summary>
public sealed class ProcessingMetrics
{
    private const int LatencySamples = 8192;
    private readonly double[] _commitLatencies = new double[LatencySamples];
    private readonly ConcurrentDictionary<int, PartitionMetrics> _partitions = new();
    private readonly ConcurrentDictionary<string, StrongBox<long>> _deadLettersByReason = new(StringComparer.Ordinal);
    private long _consumed;
    private long _emitted;
    private long _deadLettered;
    private long _commits;
    private long _aborts;
    private long _rebuilds;
    private long _committedRecords;
    private long _lag;
    private int _assigned;
    private long _latencyCount;

    /// <summary>Input records processed (including ones later aborted and processed again).</summary>
    public long Consumed => Interlocked.Read(ref _consumed);

    /// <summary>Output records emitted.</summary>
    public long Emitted => Interlocked.Read(ref _emitted);

    /// <summary>Records sent to the dead-letter topic.</summary>
    public long DeadLettered => Interlocked.Read(ref _deadLettered);

    /// <summary>Input records that produced neither output nor dead letter (duplicates, for dedup).</summary>
    public long Dropped => Math.Max(0, Consumed - Emitted - DeadLettered);

    /// <summary>Transactions committed.</summary>
    public long Commits => Interlocked.Read(ref _commits);

    /// <summary>Input records whose offsets were committed.</summary>
    public long CommittedRecords => Interlocked.Read(ref _committedRecords);

    /// <summary>Transactions aborted.</summary>
    public long Aborts => Interlocked.Read(ref _aborts);

    /// <summary>Times the producer was rebuilt after fencing or a fatal error.</summary>
    public long Rebuilds => Interlocked.Read(ref _rebuilds);

    /// <summary>Records between the consumer's position and the input's end, over the assigned partitions.</summary>
    public long Lag => Interlocked.Read(ref _lag);

    /// <summary>Input partitions assigned to this instance.</summary>
    public int AssignedPartitions => Volatile.Read(ref _assigned);

    /// <summary>Commit latencies (send offsets + commit) in buckets, for the metrics endpoint.</summary>
    public LatencyHistogram CommitLatency { get; } = new();

    /// <summary>Every input partition this instance has run a task for, with its counters (assigned now or earlier).</summary>
    public IReadOnlyCollection<PartitionMetrics> Partitions => [.. _partitions.Values.OrderBy(p => p.Partition)];

    /// <summary>Dead letters so far by reason (the DLQ record's code header, e.g. <c>invalid_json</c>).</summary>
    public IReadOnlyDictionary<string, long> DeadLettersByReason =>
        _deadLettersByReason.ToDictionary(e => e.Key, e => Interlocked.Read(ref e.Value.Value), StringComparer.Ordinal);

    /// <summary>The p-th percentile (0..100) of the recent commit latencies (send offsets + commit), milliseconds.</summary>
    public double CommitLatencyPercentile(double p)
    {
        double[] samples;
        lock (_commitLatencies)
        {
            var count = (int)Math.Min(_latencyCount, LatencySamples);
            samples = _commitLatencies[..count];
        }
        if (samples.Length == 0)
        {
            return 0;
        }
        Array.Sort(samples);
        return samples[Math.Clamp((int)Math.Ceiling(p / 100 * samples.Length) - 1, 0, samples.Length - 1)];
    }

    internal PartitionMetrics Partition(string topic, int partition) => _partitions.GetOrAdd(partition, p => new PartitionMetrics(topic, p));

    internal void AddDeadLetter(string reason)
    {
        var counter = _deadLettersByReason.GetOrAdd(reason, _ => new StrongBox<long>());
        Interlocked.Increment(ref counter.Value);
    }

    internal void AddConsumed(long count) => Interlocked.Add(ref _consumed, count);

    internal void AddEmitted(long count) => Interlocked.Add(ref _emitted, count);

    internal void AddDeadLettered(long count) => Interlocked.Add(ref _deadLettered, count);

    internal void AddAbort() => Interlocked.Increment(ref _aborts);

    internal void AddRebuild() => Interlocked.Increment(ref _rebuilds);

    internal void SetLag(long lag) => Interlocked.Exchange(ref _lag, lag);

    internal void SetAssigned(int count) => Volatile.Write(ref _assigned, count);

    internal void AddCommit(long records, double latencyMs)
    {
        Interlocked.Increment(ref _commits);
        Interlocked.Add(ref _committedRecords, records);
        CommitLatency.Record(latencyMs / 1000);
        lock (_commitLatencies)
        {
            _commitLatencies[_latencyCount % LatencySamples] = latencyMs;
            _latencyCount++;
        }
    }
}
