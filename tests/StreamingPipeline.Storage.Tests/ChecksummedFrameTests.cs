namespace StreamingPipeline.Storage.Tests;

public sealed class ChecksummedFrameTests
{
    [Fact]
    public void AFrameReadsBackItsVersionAndPayload()
    {
        var frame = ChecksummedFrame.Encode(7, "hello"u8);

        Assert.True(ChecksummedFrame.TryRead(frame, out var version, out var payload, out var size));
        Assert.Equal(7, version);
        Assert.Equal("hello"u8.ToArray(), payload.ToArray());
        Assert.Equal(frame.Length, size);
        Assert.Equal(ChecksummedFrame.SizeFor(5), size);
    }

    [Fact]
    public void AnyFlippedByteAfterTheLengthFailsTheCheck()
    {
        var frame = ChecksummedFrame.Encode(1, "payload"u8);
        for (var i = 4; i < frame.Length; i++)
        {
            var damaged = frame.ToArray();
            damaged[i] ^= 0x40;

            Assert.Equal(FrameStatus.Invalid, ChecksummedFrame.Inspect(damaged, out _, out _, out _));
        }
    }

    [Fact]
    public void ACutFrameIsIncompleteAndSaysHowManyBytesItNeeds()
    {
        var frame = ChecksummedFrame.Encode(1, new byte[100]);

        Assert.Equal(FrameStatus.Incomplete, ChecksummedFrame.Inspect(frame.AsSpan(0, 2), out _, out _, out var needed));
        Assert.Equal(ChecksummedFrame.LengthSize, needed);
        Assert.Equal(FrameStatus.Incomplete, ChecksummedFrame.Inspect(frame.AsSpan(0, 50), out _, out _, out needed));
        Assert.Equal(frame.Length, needed);
    }

    [Fact]
    public void AnImpossibleLengthIsInvalid()
    {
        var frame = ChecksummedFrame.Encode(1, "x"u8);
        frame[0] = 0x7F;

        Assert.Equal(FrameStatus.Invalid, ChecksummedFrame.Inspect(frame, out _, out _, out _));
    }
}
