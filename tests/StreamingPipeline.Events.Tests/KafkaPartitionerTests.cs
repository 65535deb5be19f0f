using System.Text;

namespace StreamingPipeline.Events.Tests;

public class KafkaPartitionerTests
{
    // Reference values of org.apache.kafka.common.utils.Utils.murmur2, the hash Java's default partitioner uses.
    [Theory]
    [InlineData("21", -973932308)]
    [InlineData("foobar", -790332482)]
    [InlineData("a-little-bit-long-string", -985981536)]
    [InlineData("a-little-bit-longer-string", -1486304829)]
    [InlineData("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971)]
    [InlineData("abc", 479470107)]
    public void Murmur2MatchesKafkasReferenceValues(string key, int expected)
    {
        Assert.Equal(expected, KafkaPartitioner.Murmur2(Encoding.UTF8.GetBytes(key)));
    }

    [Fact]
    public void PartitionsAreNonNegativeAndSpreadOverAllPartitions()
    {
        var counts = new int[8];
        for (var i = 0; i < 8000; i++)
        {
            counts[KafkaPartitioner.Partition(Encoding.UTF8.GetBytes($"u-{i:D6}"), 8)]++;
        }
        Assert.All(counts, c => Assert.InRange(c, 800, 1200));
    }
}
