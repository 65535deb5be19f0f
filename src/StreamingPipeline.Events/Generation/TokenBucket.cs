namespace StreamingPipeline.Events.Generation;

/// <summary>
/// A token bucket that does not drift: the tokens granted by time t are computed from the elapsed time since a
/// fixed origin (floor(rate × elapsed)), never by adding up per-wait increments, so rounding cannot accumulate.
/// At most <c>burst</c> unused tokens are kept; after a stall the origin moves forward, so a slow consumer
/// does not catch up with a flood. Timestamps are in the units of <c>frequency</c> (e.g. Stopwatch ticks).
/// Pure arithmetic, no clock; not thread-safe.
/// </summary>
public sealed class TokenBucket
{
    private readonly double _ratePerSecond;
    private readonly long _frequency;
    private readonly long _burst;
    private long _origin;
    private long _taken;

    /// <summary>A bucket granting <paramref name="ratePerSecond"/> tokens a second from <paramref name="start"/>.</summary>
    /// <param name="ratePerSecond">Tokens per second (&gt; 0).</param>
    /// <param name="frequency">Timestamp units per second.</param>
    /// <param name="start">The timestamp at which the bucket is empty.</param>
    /// <param name="burst">Most tokens kept unused (at least 1).</param>
    public TokenBucket(double ratePerSecond, long frequency, long start, long burst)
    {
        if (!(ratePerSecond > 0 && double.IsFinite(ratePerSecond)))
        {
            throw new ArgumentOutOfRangeException(nameof(ratePerSecond), ratePerSecond, "The rate must be a positive number.");
        }
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(frequency);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(burst);
        _ratePerSecond = ratePerSecond;
        _frequency = frequency;
        _burst = burst;
        _origin = start;
    }

    /// <summary>Tokens taken so far.</summary>
    public long Taken => _taken;

    /// <summary>Takes up to <paramref name="max"/> tokens available at <paramref name="now"/>; returns how many.</summary>
    public int TryTake(long now, int max)
    {
        var available = Granted(now) - _taken;
        if (available > _burst)
        {
            // Forget what a stall left unused beyond the burst: move the origin so exactly `burst` remain.
            _origin = now - (long)Math.Ceiling((_taken + _burst) * (double)_frequency / _ratePerSecond);
            available = Math.Min(_burst, Granted(now) - _taken);
        }
        var take = (int)Math.Clamp(available, 0, max);
        _taken += take;
        return take;
    }

    /// <summary>Time units from <paramref name="now"/> until the next token is granted (0 if one is available).</summary>
    public long UntilNext(long now)
    {
        if (Granted(now) > _taken)
        {
            return 0;
        }
        var dueAt = _origin + (long)Math.Ceiling((_taken + 1) * (double)_frequency / _ratePerSecond);
        return Math.Max(1, dueAt - now);
    }

    private long Granted(long now) => (long)Math.Floor((now - _origin) * _ratePerSecond / _frequency);
}
