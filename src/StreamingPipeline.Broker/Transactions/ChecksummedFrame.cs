using System.Buffers.Binary;

using StreamingPipeline.Broker.Log;

namespace StreamingPipeline.Broker.Transactions;

/// <summary>
/// The framing of every entry this folder persists: <c>[length int32][crc32c uint32][version int16][payload]</c>,
/// big-endian, where length counts the bytes after itself and the CRC covers version and payload. A reader stops at
/// the first frame that is incomplete or fails its CRC, which is how a torn tail after a crash is recognised.
/// </summary>
internal static class ChecksummedFrame
{
    /// <summary>Bytes before the payload.</summary>
    public const int HeaderSize = 10;

    /// <summary>Largest frame accepted when reading, so a corrupt length cannot make a reader allocate gigabytes.</summary>
    public const int MaxFrameSize = 64 * 1024 * 1024;

    /// <summary>Writes one frame holding <paramref name="payload"/> into <paramref name="destination"/>.</summary>
    public static int Write(Span<byte> destination, short version, ReadOnlySpan<byte> payload)
    {
        var size = HeaderSize + payload.Length;
        BinaryPrimitives.WriteInt32BigEndian(destination, size - 4);
        BinaryPrimitives.WriteInt16BigEndian(destination[8..], version);
        payload.CopyTo(destination[HeaderSize..]);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], Crc32C.Compute(destination[8..size]));
        return size;
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
    public static bool TryRead(ReadOnlySpan<byte> data, out short version, out ReadOnlySpan<byte> payload, out int frameSize)
    {
        version = 0;
        payload = default;
        frameSize = 0;
        if (data.Length < HeaderSize)
        {
            return false;
        }
        var length = BinaryPrimitives.ReadInt32BigEndian(data);
        if (length < HeaderSize - 4 || length > MaxFrameSize || length > data.Length - 4)
        {
            return false;
        }
        var expectedCrc = BinaryPrimitives.ReadUInt32BigEndian(data[4..]);
        var covered = data.Slice(8, length - 4);
        if (Crc32C.Compute(covered) != expectedCrc)
        {
            return false;
        }
        version = BinaryPrimitives.ReadInt16BigEndian(covered);
        payload = covered[2..];
        frameSize = length + 4;
        return true;
    }
}
