using System.Text;
using StreamingPipeline.Storage;

namespace StreamingPipeline.Storage.Tests;

public sealed class Crc32CTests
{
    public static TheoryData<byte[], uint> KnownAnswers => new()
    {
        { [], 0x00000000u },
        { Encoding.ASCII.GetBytes("123456789"), 0xE3069283u },
        // RFC 3720 (iSCSI) appendix B.4 test vectors.
        { new byte[32], 0x8A9136AAu },
        { Enumerable.Repeat((byte)0xFF, 32).ToArray(), 0x62A8AB43u },
        { Enumerable.Range(0, 32).Select(i => (byte)i).ToArray(), 0x46DD794Eu },
        { Enumerable.Range(0, 32).Select(i => (byte)(31 - i)).ToArray(), 0x113FDB5Cu },
    };

    [Theory]
    [MemberData(nameof(KnownAnswers))]
    public void ComputeMatchesPublishedCheckValues(byte[] data, uint expected)
    {
        Assert.Equal(expected, Crc32C.Compute(data));
        Assert.Equal(expected, Crc32C.ComputeWithTable(data));
    }

    [Fact]
    public void HardwareAndTablePathsAgreeOnEveryLengthAndAlignment()
    {
        var random = new Random(42);
        var data = new byte[1100];
        random.NextBytes(data);
        for (var start = 0; start < 9; start++)
        {
            for (var length = 0; length + start <= data.Length; length += 13)
            {
                var slice = data.AsSpan(start, length);
                Assert.Equal(Crc32C.ComputeWithTable(slice), Crc32C.Compute(slice));
            }
        }
    }

    [Fact]
    public void AppendContinuesAChecksumOverPieces()
    {
        var data = Encoding.ASCII.GetBytes("The quick brown fox jumps over the lazy dog, twice over.");
        for (var split = 0; split <= data.Length; split++)
        {
            var first = Crc32C.Compute(data.AsSpan(0, split));
            Assert.Equal(Crc32C.Compute(data), Crc32C.Append(first, data.AsSpan(split)));
        }
    }
}
