using StreamingPipeline.Broker.Log.Cleaner;

namespace StreamingPipeline.Broker.Tests.Compaction;

public sealed class CleanerThrottleTests
{
    private const double Rate = 1024 * 1024;
    private static readonly double Burst = Rate * CleanerThrottle.BurstDuration.TotalSeconds;

    [Fact]
    public void ChargesWithinTheBurstDoNotWaitAndAnOverdraftWaitsUntilItIsRepaid()
    {
        var clock = new FakeTimeProvider();
        var throttle = new CleanerThrottle(Rate, clock);

        Assert.Equal(TimeSpan.Zero, throttle.Charge((long)Burst));
        var wait = throttle.Charge((long)(Rate * 0.25));

        AssertClose(TimeSpan.FromMilliseconds(250), wait);
        clock.Advance(wait);
        Assert.Equal(TimeSpan.Zero, throttle.Charge(0));
        AssertClose(TimeSpan.FromMilliseconds(100), throttle.Charge((long)(Rate * 0.1)));
    }

    [Fact]
    public void DebtsShorterThanTheMinimumWaitAreCarriedToTheNextCharge()
    {
        var throttle = new CleanerThrottle(Rate, new FakeTimeProvider());
        var small = (long)(Rate * CleanerThrottle.MinWait.TotalSeconds / 2);

        Assert.Equal(TimeSpan.Zero, throttle.Charge((long)Burst + small));
        Assert.Equal(TimeSpan.Zero, throttle.Charge(small / 2));
        AssertClose(CleanerThrottle.MinWait * 1.25, throttle.Charge(small));
    }

    [Fact]
    public void IdleTimeRefillsTheBucketUpToTheBurstOnly()
    {
        var clock = new FakeTimeProvider();
        var throttle = new CleanerThrottle(Rate, clock);
        Assert.Equal(TimeSpan.Zero, throttle.Charge((long)Burst));

        clock.Advance(TimeSpan.FromMinutes(10));

        Assert.Equal(TimeSpan.Zero, throttle.Charge((long)Burst));
        AssertClose(TimeSpan.FromMilliseconds(50), throttle.Charge((long)(Rate * 0.05)));
    }

    [Fact]
    public void OverManyChargesTheRateIsTheConfiguredOne()
    {
        var clock = new FakeTimeProvider();
        var throttle = new CleanerThrottle(Rate, clock);
        var start = clock.GetTimestamp();
        var random = new Random(3);
        long charged = 0;
        while (charged < 20 * Rate)
        {
            var bytes = random.Next(100, 300_000);
            charged += bytes;
            clock.Advance(throttle.Charge(bytes) + TimeSpan.FromTicks(random.Next(0, 1000)));
        }

        var seconds = clock.GetElapsedTime(start).TotalSeconds;

        Assert.InRange(charged / seconds, Rate * 0.98, Rate * 1.02);
    }

    [Fact]
    public void AnUnlimitedThrottleNeverWaits()
    {
        var throttle = new CleanerThrottle(double.PositiveInfinity, new FakeTimeProvider());

        Assert.True(throttle.IsUnlimited);
        Assert.Equal(TimeSpan.Zero, throttle.Charge(long.MaxValue / 2));
        Assert.Equal(TimeSpan.Zero, throttle.Charge(long.MaxValue / 2));
    }

    [Fact]
    public async Task ThrottleBlocksTheCleanerThreadUntilTheClockHasMovedByTheWait()
    {
        var clock = new FakeTimeProvider();
        var throttle = new CleanerThrottle(Rate, clock);
        var blocked = Task.Run(() => throttle.Throttle((long)(Burst + (Rate * 0.2)), CancellationToken.None));

        var advanced = await AdvanceUntilAsync(clock, blocked);

        Assert.True(advanced >= TimeSpan.FromMilliseconds(199), $"returned after {advanced.TotalMilliseconds} ms of the clock");
        AssertClose(TimeSpan.FromMilliseconds(200), throttle.TotalWaited);
    }

    [Fact]
    public async Task AThrottledPassTakesTheTimeItsBytesNeedAndCompactsTheSame()
    {
        using var dir = new TempDirectory();
        const double rate = 16 * 1024;
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var log = CompactedLog.Open(dir.Path, time: clock, ioBytesPerSecond: rate);
        LogCleanerTests.WriteRandomWorkload(log, seed: 7, batches: 300, keys: 40);
        var round = Task.Run(() => log.Cleaner.RunRound(CancellationToken.None));

        var advanced = await AdvanceUntilAsync(clock, round);

        var pass = Assert.Single((await round).Passes);
        Assert.True(pass.Completed);
        var minimum = (pass.BytesRead + pass.BytesWritten - (rate * CleanerThrottle.BurstDuration.TotalSeconds) - (rate * CleanerThrottle.MinWait.TotalSeconds)) / rate;
        Assert.True(minimum > 0.2, $"a workload too small to be throttled: {pass.BytesRead} bytes read");
        Assert.True(advanced.TotalSeconds >= minimum, $"{pass.BytesRead + pass.BytesWritten} bytes in {advanced.TotalSeconds} s of the clock at {rate} B/s");
        Assert.True(log.Cleaner.TotalThrottled > TimeSpan.Zero);
        Assert.Equal(log.Model(), CompactedLog.Replay(log.ReadAll()));
    }

    /// <summary>Moves the fake clock on in 5 ms steps until <paramref name="task"/> ends; returns how far it moved.</summary>
    private static async Task<TimeSpan> AdvanceUntilAsync(FakeTimeProvider clock, Task task)
    {
        var step = TimeSpan.FromMilliseconds(5);
        var advanced = TimeSpan.Zero;
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (!task.IsCompleted)
        {
            Assert.True(DateTime.UtcNow < deadline, $"still waiting after {advanced.TotalSeconds} s of the clock");
            clock.Advance(step);
            advanced += step;
            await Task.Delay(1);
        }
        await task;
        return advanced;
    }

    private static void AssertClose(TimeSpan expected, TimeSpan actual) =>
        Assert.InRange(actual.TotalMilliseconds, expected.TotalMilliseconds - 0.5, expected.TotalMilliseconds + 0.5);
}
