namespace StreamingPipeline.Jobs.Dedup;

/// <summary>
/// The dedup window cut into slide-sized buckets: bucket = floor(timestamp / slide). With stream time T the
/// retained buckets are those at or after bucket(T) - <see cref="Buckets"/>, so an id is remembered at least
/// W and at most W + S of event time.
/// </summary>
public sealed record DedupWindow
{
    /// <summary>Creates a window of <paramref name="window"/> sliding by <paramref name="slide"/>; the slide must divide the window.</summary>
    public DedupWindow(TimeSpan window, TimeSpan slide)
    {
        var windowMs = (long)window.TotalMilliseconds;
        var slideMs = (long)slide.TotalMilliseconds;
        if (slideMs < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(slide), slide, "the slide must be at least 1ms");
        }
        if (windowMs < slideMs || windowMs % slideMs != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(window), window, "the window must be a whole number of slides");
        }
        WindowMs = windowMs;
        SlideMs = slideMs;
    }

    /// <summary>The default: 24 h sliding every 30 min (48 buckets).</summary>
    public static DedupWindow Default { get; } = new(TimeSpan.FromHours(24), TimeSpan.FromMinutes(30));

    /// <summary>The window length W, ms.</summary>
    public long WindowMs { get; }

    /// <summary>The slide S (bucket width), ms.</summary>
    public long SlideMs { get; }

    /// <summary>W / S: how many buckets behind the stream time's bucket are still retained.</summary>
    public long Buckets => WindowMs / SlideMs;

    /// <summary>The bucket holding <paramref name="timestampMs"/> (floor division, so negative times work too).</summary>
    public long BucketOf(long timestampMs) => Math.DivRem(timestampMs, SlideMs) is var (q, r) && r < 0 ? q - 1 : q;

    /// <summary>The first millisecond of <paramref name="bucket"/>.</summary>
    public long BucketStart(long bucket) => bucket * SlideMs;

    /// <summary>The oldest bucket still retained at <paramref name="streamTimeMs"/>.</summary>
    public long FirstRetainedBucket(long streamTimeMs) => BucketOf(streamTimeMs) - Buckets;

    /// <summary>The earliest timestamp whose bucket is still retained once stream time reaches <paramref name="streamTimeMs"/>: where a rebuild reads from.</summary>
    public long RetainedSince(long streamTimeMs) => BucketStart(FirstRetainedBucket(streamTimeMs));
}
