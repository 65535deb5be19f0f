using StreamingPipeline.Metering;

namespace StreamingPipeline.Analytics.Ingestion;

/// <summary>Live counters of an <see cref="AnalyticsIngester"/>, safe to read from any thread (status line, tests, benchmarks).</summary>
public sealed class IngestMetrics
{
    private readonly LatencySamples _commitLatencies = new();
    private readonly LatencySamples _freshness = new();
    private long _consumed;
    private long _inserted;
    private long _duplicates;
    private long _deadLettered;
    private long _commits;
    private long _lag;
    private int _assigned;
    private int _caughtUp;

    /// <summary>Records consumed (events, duplicates and dead letters), including ones of the batch not yet committed.</summary>
    public long Consumed => Interlocked.Read(ref _consumed);

    /// <summary>Rows committed into <c>user_events</c>.</summary>
    public long Inserted => Interlocked.Read(ref _inserted);

    /// <summary>Valid records ignored because their eventId was already stored (or earlier in the same batch).</summary>
    public long Duplicates => Interlocked.Read(ref _duplicates);

    /// <summary>Records sent to the DLQ.</summary>
    public long DeadLettered => Interlocked.Read(ref _deadLettered);

    /// <summary>Database transactions committed (one per batch).</summary>
    public long Commits => Interlocked.Read(ref _commits);

    /// <summary>Records between the consumer's position and the end of the assigned partitions.</summary>
    public long Lag => Interlocked.Read(ref _lag);

    /// <summary>Partitions this instance ingests.</summary>
    public int AssignedPartitions => Volatile.Read(ref _assigned);

    /// <summary>Whether the ingester has once reached the end of every assigned partition (its lag measured at 0).</summary>
    public bool CaughtUpOnce => Volatile.Read(ref _caughtUp) != 0;

    /// <summary>Batch commit latencies (DLQ + database) in buckets, for the metrics endpoint.</summary>
    public LatencyHistogram CommitLatency { get; } = new();

    /// <summary>
    /// Per row: from the Kafka timestamp of the record it was read from to the database commit that made it visible.
    /// </summary>
    public LatencyHistogram Freshness { get; } = new();

    /// <summary>Per row: from the event's own timestamp to the database commit that made it visible (end-to-end latency).</summary>
    public LatencyHistogram EndToEnd { get; } = new();

    /// <summary>The p-th percentile (0..100) of recent batch commit latencies (DLQ + database), milliseconds.</summary>
    public double CommitLatencyPercentile(double p) => _commitLatencies.Percentile(p);

    /// <summary>
    /// The p-th percentile (0..100) of recent freshness samples: from an event's timestamp to the commit that made it
    /// queryable, milliseconds. Meaningful when producers stamp events with the wall clock at send time.
    /// </summary>
    public double FreshnessPercentile(double p) => _freshness.Percentile(p);

    internal void AddConsumed(long count) => Interlocked.Add(ref _consumed, count);

    internal void SetLag(long lag, bool measured = true)
    {
        Interlocked.Exchange(ref _lag, lag);
        if (measured && lag == 0 && AssignedPartitions > 0)
        {
            Volatile.Write(ref _caughtUp, 1);
        }
    }

    internal void SetAssigned(int count) => Volatile.Write(ref _assigned, count);

    internal void AddCommit(IngestBatch batch, BatchOutcome outcome, double latencyMs, long committedAtUnixMs)
    {
        Interlocked.Add(ref _inserted, outcome.Inserted);
        Interlocked.Add(ref _duplicates, outcome.Duplicates + batch.DuplicatesInBatch);
        Interlocked.Add(ref _deadLettered, batch.DeadLetters.Count);
        Interlocked.Increment(ref _commits);
        _commitLatencies.Add(latencyMs);
        CommitLatency.Record(latencyMs / 1000);
        // A few samples per batch keep the cost flat; which ones does not matter for percentiles over many batches.
        var events = batch.Events;
        foreach (ref readonly var row in events)
        {
            EndToEnd.Record((committedAtUnixMs - row.Timestamp) / 1000.0);
            if (row.RecordTimestamp > 0)
            {
                Freshness.Record((committedAtUnixMs - row.RecordTimestamp) / 1000.0);
            }
        }
        var step = Math.Max(1, events.Length / 64);
        for (var i = 0; i < events.Length; i += step)
        {
            _freshness.Add(committedAtUnixMs - events[i].Timestamp);
        }
    }

    /// <summary>The most recent samples of a latency, for percentiles.</summary>
    private sealed class LatencySamples
    {
        private const int Capacity = 8192;
        private readonly double[] _samples = new double[Capacity];
        private long _count;

        public void Add(double value)
        {
            lock (_samples)
            {
                _samples[_count++ % Capacity] = value;
            }
        }

        public double Percentile(double p)
        {
            double[] copy;
            lock (_samples)
            {
                copy = _samples[..(int)Math.Min(_count, Capacity)];
            }
            if (copy.Length == 0)
            {
                return 0;
            }
            Array.Sort(copy);
            return copy[Math.Clamp((int)Math.Ceiling(p / 100 * copy.Length) - 1, 0, copy.Length - 1)];
        }
    }
}
