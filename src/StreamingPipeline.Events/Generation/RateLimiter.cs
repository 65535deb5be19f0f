namespace StreamingPipeline.Events.Generation;

/// <summary>
/// Paces a loop at a steady rate on a <see cref="TimeProvider"/>: hands out tokens in small batches from a
/// <see cref="TokenBucket"/> and waits (asynchronously) only when none are left. A rate of <c>-1</c> means unlimited.
/// </summary>
public sealed class RateLimiter
{
    private readonly TimeProvider _time;
    private readonly TokenBucket? _bucket;

    /// <summary>A limiter at <paramref name="ratePerSecond"/> (or unlimited for -1), keeping up to <paramref name="burst"/> of unused rate.</summary>
    public RateLimiter(double ratePerSecond, TimeProvider time, TimeSpan burst)
    {
        _time = time;
        if (ratePerSecond < 0)
        {
            return;
        }
        var burstTokens = Math.Max(1, (long)(ratePerSecond * burst.TotalSeconds));
        _bucket = new TokenBucket(ratePerSecond, time.TimestampFrequency, time.GetTimestamp(), burstTokens);
    }

    /// <summary>True when the rate is unlimited.</summary>
    public bool IsUnlimited => _bucket is null;

    /// <summary>Waits until at least one token is available and takes up to <paramref name="max"/>.</summary>
    public async ValueTask<int> AcquireAsync(int max, CancellationToken cancellationToken)
    {
        if (_bucket is null)
        {
            return max;
        }
        while (true)
        {
            var now = _time.GetTimestamp();
            var taken = _bucket.TryTake(now, max);
            if (taken > 0)
            {
                return taken;
            }
            var wait = TimeSpan.FromSeconds(_bucket.UntilNext(now) / (double)_time.TimestampFrequency);
            // Timers are coarse (about 1 ms); waiting at least that long lets tokens accumulate into a batch.
            await Task.Delay(wait < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : wait, _time, cancellationToken);
        }
    }
}
