namespace StreamingPipeline.Processing;

/// <summary>
/// Cumulative counts of durations in fixed buckets, with the sum of each bucket's values, recorded lock-free from any
/// thread. The metrics endpoint turns it into a Prometheus histogram at scrape time; keeping the sum per bucket lets it
/// hand over exact counts and an exact total without the component depending on a metrics library.
/// </summary>
public sealed class LatencyHistogram
{
    /// <summary>Upper bounds (seconds, inclusive) from 0.5 ms to 60 s: broker requests, commits and end-to-end latency.</summary>
    public static readonly IReadOnlyList<double> DefaultBounds =
        [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    private readonly double[] _bounds;
    private readonly long[] _counts;
    private readonly long[] _sumTicks;

    /// <summary>A histogram over <paramref name="bounds"/> (ascending upper bounds in seconds), or <see cref="DefaultBounds"/>.</summary>
    public LatencyHistogram(IReadOnlyList<double>? bounds = null)
    {
        _bounds = [.. bounds ?? DefaultBounds];
        for (var i = 1; i < _bounds.Length; i++)
        {
            if (_bounds[i] <= _bounds[i - 1])
            {
                throw new ArgumentException("bucket bounds must ascend", nameof(bounds));
            }
        }
        // The last slot holds values above the highest bound (+Inf).
        _counts = new long[_bounds.Length + 1];
        _sumTicks = new long[_bounds.Length + 1];
    }

    /// <summary>The buckets' upper bounds in seconds (the +Inf bucket is implied).</summary>
    public IReadOnlyList<double> Bounds => _bounds;

    /// <summary>Records one duration of <paramref name="seconds"/> (negative values, from skewed clocks, count as 0).</summary>
    public void Record(double seconds)
    {
        if (!(seconds > 0))
        {
            seconds = 0;
        }
        var slot = Array.BinarySearch(_bounds, seconds);
        if (slot < 0)
        {
            slot = ~slot;
        }
        Interlocked.Increment(ref _counts[slot]);
        Interlocked.Add(ref _sumTicks[slot], (long)Math.Min(seconds * TimeSpan.TicksPerSecond, long.MaxValue / 2));
    }

    /// <summary>Records <paramref name="elapsed"/>.</summary>
    public void Record(TimeSpan elapsed) => Record(elapsed.TotalSeconds);

    /// <summary>
    /// Copies the per-bucket counts and sums (seconds) into <paramref name="counts"/> and <paramref name="sums"/>, each of
    /// length <see cref="Bounds"/>.Count + 1 (the last is the +Inf bucket). Not a single atomic snapshot: a value
    /// recorded meanwhile may show in its count before its sum.
    /// </summary>
    public void CopyTo(Span<long> counts, Span<double> sums)
    {
        if (counts.Length != _counts.Length || sums.Length != _counts.Length)
        {
            throw new ArgumentException($"expected {_counts.Length} slots");
        }
        for (var i = 0; i < _counts.Length; i++)
        {
            counts[i] = Interlocked.Read(ref _counts[i]);
            sums[i] = (double)Interlocked.Read(ref _sumTicks[i]) / TimeSpan.TicksPerSecond;
        }
    }

    /// <summary>Values recorded so far.</summary>
    public long Count
    {
        get
        {
            long total = 0;
            for (var i = 0; i < _counts.Length; i++)
            {
                total += Interlocked.Read(ref _counts[i]);
            }
            return total;
        }
    }
}
