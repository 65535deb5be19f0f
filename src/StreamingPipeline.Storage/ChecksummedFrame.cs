using System.Buffers.Binary;

namespace StreamingPipeline.Storage;

/// <summary>
/// The framing of every record a durable file holds: <c>[length int32][crc32c uint32][version int16][payload]</c>,
/// big-endian, where length counts the bytes after itself and the CRC-32C covers version and payload. A reader stops
/// at the first frame that is incomplete or fails its CRC, which is how a torn tail after a crash is recognised.
/// </summary>
public static class ChecksummedFrame
{
    /// <summary>Bytes before the payload.</summary>
    public const int HeaderSize = 10;

    /// <summary>Bytes of the length field, which the length does not count.</summary>
    public const int LengthSize = 4;

    /// <summary>Largest length field accepted, so a corrupt length cannot make a reader allocate gigabytes.</summary>
    public const int MaxFrameSize = 64 * 1024 * 1024;

    /// <summary>The size of the frame that holds a payload of <paramref name="payloadLength"/> bytes.</summary>
    public static int SizeFor(int payloadLength) => HeaderSize + payloadLength;

    /// <summary>Writes one frame holding <paramref name="payload"/> into <paramref name="destination"/>; returns its size.</summary>
    public static int Write(Span<byte> destination, short version, ReadOnlySpan<byte> payload)
    {
        var size = HeaderSize + payload.Length;
        BinaryPrimitives.WriteInt16BigEndian(destination[8..], version);
        payload.CopyTo(destination[HeaderSize..]);
        Seal(destination[..size]);
        return size;
    }

    /// <summary>
    /// Fills in the length and CRC of a frame whose version and payload are already in place after
    /// <see cref="HeaderSize"/>-2 bytes of <paramref name="frame"/>, so a payload can be serialised straight into it.
    /// </summary>
    public static void Seal(Span<byte> frame)
    {
        if (frame.Length < HeaderSize || frame.Length - LengthSize > MaxFrameSize)
        {
            throw new ArgumentException($"A frame is {HeaderSize} to {MaxFrameSize + LengthSize} bytes, not {frame.Length}.", nameof(frame));
        }
        BinaryPrimitives.WriteInt32BigEndian(frame, frame.Length - LengthSize);
        BinaryPrimitives.WriteUInt32BigEndian(frame[4..], Crc32C.Compute(frame[8..]));
    }

    /// <summary>One frame holding <paramref name="payload"/>, as a new array.</summary>
    public static byte[] Encode(short version, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[HeaderSize + payload.Length];
        Write(frame, version, payload);
        return frame;
    }

    /// <summary>
    /// Reads the frame at the start of <paramref name="data"/>. Returns false when the bytes do not hold a whole,
    /// intact frame (a torn or corrupt tail); the caller keeps everything before it.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> data, out short version, out ReadOnlySpan<byte> payload, out int frameSize) =>
        Inspect(data, out version, out payload, out frameSize) == FrameStatus.Complete;

    /// <summary>
    /// Like <see cref="TryRead"/>, but tells a frame cut off by the end of <paramref name="data"/> (more bytes may
    /// complete it; <paramref name="frameSize"/> is then how many are needed) from one that can never be valid.
    /// </summary>
    public static FrameStatus Inspect(ReadOnlySpan<byte> data, out short version, out ReadOnlySpan<byte> payload, out int frameSize)
    {
        version = 0;
        payload = default;
        frameSize = LengthSize;
        if (data.Length < LengthSize)
        {
            return FrameStatus.Incomplete;
        }
        var length = BinaryPrimitives.ReadInt32BigEndian(data);
        if (length < HeaderSize - LengthSize || length > MaxFrameSize)
        {
            return FrameStatus.Invalid;
        }
        frameSize = length + LengthSize;
        if (data.Length < frameSize)
        {
            return FrameStatus.Incomplete;
        }
        var covered = data.Slice(8, length - 4);
        if (Crc32C.Compute(covered) != BinaryPrimitives.ReadUInt32BigEndian(data[4..]))
        {
            return FrameStatus.Invalid;
        }
        version = BinaryPrimitives.ReadInt16BigEndian(covered);
        payload = covered[2..];
        return FrameStatus.Complete;
    }
}
