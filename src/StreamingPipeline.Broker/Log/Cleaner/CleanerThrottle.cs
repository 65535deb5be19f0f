namespace StreamingPipeline.Broker.Log.Cleaner;

/// <summary>
/// Bounds the log cleaner's I/O (Kafka's log.cleaner.io.max.bytes.per.second): a token bucket over the bytes the
/// cleaner reads and writes, refilled at the configured rate and holding at most <see cref="BurstDuration"/> of it.
/// A charge that overdraws the bucket makes the cleaner wait until the debt is repaid, but only once the debt is worth
/// <see cref="MinWait"/> or more, so small batches do not turn into many short sleeps; the average rate stays exact.
/// </summary>
/// <remarks>Used by the cleaner's single thread only; not thread-safe.</remarks>
internal sealed class CleanerThrottle
{
    /// <summary>How much idle time the bucket saves up: a cleaner that starts after a pause may go this far ahead of the rate.</summary>
    public static readonly TimeSpan BurstDuration = TimeSpan.FromMilliseconds(100);

    /// <summary>The shortest wait: smaller debts are carried to the next charge.</summary>
    public static readonly TimeSpan MinWait = TimeSpan.FromMilliseconds(10);

    private readonly TimeProvider _time;
    private double _bytesPerSecond;
    private double _burstBytes;
    private double _tokens;
    private long _lastRefill;

    /// <summary>A throttle at <paramref name="bytesPerSecond"/>; <see cref="double.PositiveInfinity"/> never waits.</summary>
    public CleanerThrottle(double bytesPerSecond, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytesPerSecond);
        _bytesPerSecond = bytesPerSecond;
        _time = time;
        _burstBytes = IsUnlimited ? 0 : bytesPerSecond * BurstDuration.TotalSeconds;
        _tokens = _burstBytes;
        _lastRefill = time.GetTimestamp();
    }

    /// <summary>The rate; <see cref="double.PositiveInfinity"/> for none.</summary>
    public double BytesPerSecond => _bytesPerSecond;

    /// <summary>Changes the rate (a dynamic broker config change); the bucket starts again full at the new rate.</summary>
    public void SetRate(double bytesPerSecond)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytesPerSecond);
        _bytesPerSecond = bytesPerSecond;
        _burstBytes = IsUnlimited ? 0 : bytesPerSecond * BurstDuration.TotalSeconds;
        _tokens = _burstBytes;
        _lastRefill = _time.GetTimestamp();
    }

    /// <summary>True when no rate is set.</summary>
    public bool IsUnlimited => double.IsPositiveInfinity(_bytesPerSecond);

    /// <summary>Total time the throttle made the cleaner wait.</summary>
    public TimeSpan TotalWaited { get; private set; }

    /// <summary>Takes <paramref name="bytes"/> from the bucket and returns how long the cleaner must now wait (zero for none).</summary>
    public TimeSpan Charge(long bytes)
    {
        if (IsUnlimited)
        {
            return TimeSpan.Zero;
        }
        var now = _time.GetTimestamp();
        _tokens = Math.Min(_burstBytes, _tokens + (_time.GetElapsedTime(_lastRefill, now).TotalSeconds * _bytesPerSecond));
        _lastRefill = now;
        _tokens -= bytes;
        if (_tokens >= 0)
        {
            return TimeSpan.Zero;
        }
        var wait = TimeSpan.FromSeconds(-_tokens / _bytesPerSecond);
        return wait >= MinWait ? wait : TimeSpan.Zero;
    }

    /// <summary>Charges <paramref name="bytes"/> and blocks the calling (cleaner) thread for the wait that asks for.</summary>
    public void Throttle(long bytes, CancellationToken cancellationToken)
    {
        var wait = Charge(bytes);
        if (wait <= TimeSpan.Zero)
        {
            return;
        }
        TotalWaited += wait;
        Task.Delay(wait, _time, CancellationToken.None).Wait(cancellationToken);
    }
}
