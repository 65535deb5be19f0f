using StreamingPipeline.Events.Generation;

namespace StreamingPipeline.Events.Tests.Generation;

public class DelayClassesTests
{
    private static readonly TimeSpan Window = TimeSpan.FromHours(24);
    private static readonly TimeSpan Slide = TimeSpan.FromMinutes(30);

    [Theory]
    [InlineData(0, DelayClass.Seconds)]
    [InlineData(59_999, DelayClass.Seconds)]
    [InlineData(60_000, DelayClass.Minutes)]
    [InlineData(3_600_000, DelayClass.Hours)]
    [InlineData(84_599_999, DelayClass.Hours)]
    [InlineData(84_600_000, DelayClass.WindowEdge)]
    [InlineData(88_200_000, DelayClass.WindowEdge)]
    [InlineData(88_200_001, DelayClass.BeyondWindow)]
    public void DelaysAreClassifiedAroundTheWindowEdge(long delayMs, DelayClass expected)
    {
        Assert.Equal(expected, DelayClasses.Classify(delayMs, Window, Slide));
    }

    [Fact]
    public void SampledDelaysStayWithinTheRangeAndSpreadOverIt()
    {
        var delay = new DuplicateDelay(TimeSpan.FromSeconds(1), TimeSpan.FromHours(30));
        var random = new DeterministicRandom(8);
        var samples = Enumerable.Range(0, 10_000).Select(_ => delay.SampleMilliseconds(random)).ToList();

        Assert.All(samples, s => Assert.InRange(s, 1_000, 108_000_000));
        // Log-uniform: each decade gets a similar share, so seconds and beyond-window delays both occur.
        Assert.Contains(samples, s => s < 10_000);
        Assert.Contains(samples, s => s > 88_200_000);
        Assert.Equal("1s..30h", delay.ToString());
        Assert.Equal("500ms", new DuplicateDelay(TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(500)).ToString());
    }
}
