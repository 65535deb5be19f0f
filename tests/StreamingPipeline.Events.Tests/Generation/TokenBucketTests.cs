using StreamingPipeline.Events.Generation;

namespace StreamingPipeline.Events.Tests.Generation;

public class TokenBucketTests
{
    private const long Frequency = 1_000_000_000;

    [Fact]
    public void OverALongRunTheGrantedCountDoesNotDrift()
    {
        // 2000/s for an hour of simulated time, polled at irregular intervals: exactly 7.2 million tokens.
        var bucket = new TokenBucket(2000, Frequency, 0, burst: 100);
        var random = new DeterministicRandom(4);
        long now = 0;
        long taken = 0;
        while (now < 3600 * Frequency)
        {
            now += 100_000 + random.NextInt(2_000_000);
            taken += bucket.TryTake(Math.Min(now, 3600 * Frequency), int.MaxValue);
        }
        Assert.Equal(7_200_000, taken);
    }

    [Fact]
    public void AFractionalRateIsHonouredExactly()
    {
        var bucket = new TokenBucket(0.5, Frequency, 0, burst: 1);
        long taken = 0;
        for (long second = 1; second <= 100; second++)
        {
            taken += bucket.TryTake(second * Frequency, 10);
        }
        Assert.Equal(50, taken);
    }

    [Fact]
    public void AfterAStallOnlyTheBurstIsAvailable()
    {
        var bucket = new TokenBucket(1000, Frequency, 0, burst: 50);

        Assert.Equal(50, bucket.TryTake(10 * Frequency, int.MaxValue));
        Assert.Equal(0, bucket.TryTake(10 * Frequency, int.MaxValue));
        // And from there the steady rate resumes: a thousand more over the next second.
        long taken = 0;
        for (var ms = 1; ms <= 1000; ms++)
        {
            taken += bucket.TryTake((10 * Frequency) + (ms * (Frequency / 1000)), int.MaxValue);
        }
        Assert.Equal(1000, taken);
    }

    [Fact]
    public void TakeIsCappedByTheRequest()
    {
        var bucket = new TokenBucket(1000, Frequency, 0, burst: 1000);

        Assert.Equal(10, bucket.TryTake(Frequency, 10));
        Assert.Equal(990, bucket.TryTake(Frequency, int.MaxValue));
    }

    [Fact]
    public void UntilNextPointsAtTheNextToken()
    {
        var bucket = new TokenBucket(100, Frequency, 0, burst: 10);
        Assert.Equal(Frequency / 100, bucket.UntilNext(0));

        var wait = bucket.UntilNext(0);
        Assert.Equal(1, bucket.TryTake(wait, 10));
        Assert.Equal(0, bucket.TryTake(wait, 10));
        Assert.Equal(0, bucket.UntilNext(2 * wait));
    }
}
