using StreamingPipeline.Events.Generation;

namespace StreamingPipeline.Events.Tests.Generation;

public class ZipfSamplerTests
{
    [Theory]
    [InlineData(1.0)]
    [InlineData(0.5)]
    [InlineData(2.0)]
    public void FrequenciesFollowOneOverKToTheS(double exponent)
    {
        const int n = 10;
        const int draws = 200_000;
        var sampler = new ZipfSampler(n, exponent);
        var random = new DeterministicRandom(11);
        var counts = new int[n + 1];
        for (var i = 0; i < draws; i++)
        {
            counts[sampler.Sample(random)]++;
        }

        var norm = Enumerable.Range(1, n).Sum(k => Math.Pow(k, -exponent));
        for (var k = 1; k <= n; k++)
        {
            var expected = draws * Math.Pow(k, -exponent) / norm;
            var sigma = Math.Sqrt(expected);
            Assert.InRange(counts[k], expected - (5 * sigma), expected + (5 * sigma));
        }
    }

    [Fact]
    public void SamplesStayInRangeForHugeCounts()
    {
        var sampler = new ZipfSampler(10_000_000, 1.1);
        var random = new DeterministicRandom(3);
        for (var i = 0; i < 10_000; i++)
        {
            Assert.InRange(sampler.Sample(random), 1, 10_000_000);
        }
    }

    [Fact]
    public void ANonPositiveExponentIsRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ZipfSampler(10, 0));
    }
}
