using System.Text;
using StreamingPipeline.Broker.Transactions;

namespace StreamingPipeline.Broker.Tests.Transactions;

public class TxnCrc32CTests
{
    [Fact]
    public void StandardCheckValueOfCrc32CIsReproduced()
    {
        Assert.Equal(0xE3069283u, TxnCrc32C.Compute(Encoding.ASCII.GetBytes("123456789")));
        Assert.Equal(0u, TxnCrc32C.Compute([]));
    }

    [Fact]
    public void AcceleratedPathAgreesWithTheTableForEveryLengthAndSplit()
    {
        var random = new Random(7);
        for (var length = 0; length < 70; length++)
        {
            var data = new byte[length];
            random.NextBytes(data);
            var expected = TxnCrc32C.ComputeWithTable(data);
            Assert.Equal(expected, TxnCrc32C.Compute(data));
            var split = length / 3;
            Assert.Equal(expected, TxnCrc32C.Append(TxnCrc32C.Compute(data.AsSpan(0, split)), data.AsSpan(split)));
        }
    }
}
