using System.Text;
using StreamingPipeline.Observability.Console;

namespace StreamingPipeline.Observability.Tests.Console;

public sealed class EncodedBytesTests
{
    [Fact]
    public void Utf8_is_text_and_anything_else_base64()
    {
        Assert.Equal(new EncodedBytes("héllo", "utf8", 6, false), EncodedBytes.From(Encoding.UTF8.GetBytes("héllo")));
        Assert.Equal(new EncodedBytes("/wA=", "base64", 2, false), EncodedBytes.From([0xff, 0x00]));
        Assert.Null(EncodedBytes.From(null));
    }

    [Fact]
    public void Large_values_are_cut_at_the_bound_without_splitting_a_character()
    {
        var bytes = Encoding.UTF8.GetBytes("aé"); // 'é' is two bytes: a cut after 2 bytes splits it

        Assert.Equal(new EncodedBytes("a", "utf8", 3, true), EncodedBytes.From(bytes, maxBytes: 2));
        Assert.Equal(new EncodedBytes("//4=", "base64", 3, true), EncodedBytes.From([0xff, 0xfe, 0x41], maxBytes: 2));
    }
}
