namespace StreamingPipeline.Broker.Tests.Log;

/// <summary>A clock the test sets; timers still run on real time.</summary>
internal sealed class ManualTimeProvider(DateTimeOffset start) : TimeProvider
{
    private long _nowMs = start.ToUnixTimeMilliseconds();

    public ManualTimeProvider()
        : this(DateTimeOffset.FromUnixTimeMilliseconds(RecordBatchBuilder.DefaultTimestamp))
    {
    }

    public long NowMs
    {
        get => Interlocked.Read(ref _nowMs);
        set => Interlocked.Exchange(ref _nowMs, value);
    }

    public void Advance(TimeSpan by) => Interlocked.Add(ref _nowMs, (long)by.TotalMilliseconds);

    public override DateTimeOffset GetUtcNow() => DateTimeOffset.FromUnixTimeMilliseconds(NowMs);
}
