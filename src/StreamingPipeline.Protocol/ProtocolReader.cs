using System.Buffers.Binary;
using System.Text;

namespace StreamingPipeline.Protocol;

/// <summary>
/// Reads Kafka protocol primitives from a buffer. Every read is bounds-checked and throws
/// <see cref="ProtocolException"/> on malformed input, so a peer's bytes can never crash the caller.
/// Record sets are returned as slices of the underlying buffer (no copy).
/// </summary>
public sealed class ProtocolReader(ReadOnlyMemory<byte> buffer)
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private readonly ReadOnlyMemory<byte> _buffer = buffer;

    /// <summary>The offset of the next byte to read.</summary>
    public int Position { get; set; }

    /// <summary>Bytes left to read.</summary>
    public int Remaining => _buffer.Length - Position;

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count < 0 || count > Remaining)
        {
            throw new ProtocolException($"Need {count} bytes at position {Position}, only {Remaining} remain.");
        }
        var span = _buffer.Span.Slice(Position, count);
        Position += count;
        return span;
    }

    public bool ReadBool() => Take(1)[0] != 0;
    public sbyte ReadInt8() => (sbyte)Take(1)[0];
    public short ReadInt16() => BinaryPrimitives.ReadInt16BigEndian(Take(2));
    public ushort ReadUInt16() => BinaryPrimitives.ReadUInt16BigEndian(Take(2));
    public int ReadInt32() => BinaryPrimitives.ReadInt32BigEndian(Take(4));
    public uint ReadUInt32() => BinaryPrimitives.ReadUInt32BigEndian(Take(4));
    public long ReadInt64() => BinaryPrimitives.ReadInt64BigEndian(Take(8));
    public double ReadFloat64() => BinaryPrimitives.ReadDoubleBigEndian(Take(8));

    /// <summary>A UUID as Kafka sends it: 16 bytes, most significant first.</summary>
    public Guid ReadUuid() => new(Take(16), bigEndian: true);

    /// <summary>An unsigned LEB128 varint of at most 5 bytes.</summary>
    public uint ReadUnsignedVarInt()
    {
        uint value = 0;
        for (var shift = 0; shift < 35; shift += 7)
        {
            var b = Take(1)[0];
            value |= (uint)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }
        throw new ProtocolException("Unsigned varint longer than 5 bytes.");
    }

    /// <summary>A zig-zag encoded signed varint.</summary>
    public int ReadVarInt()
    {
        var raw = ReadUnsignedVarInt();
        return (int)(raw >> 1) ^ -(int)(raw & 1);
    }

    /// <summary>A zig-zag encoded signed varlong of at most 10 bytes.</summary>
    public long ReadVarLong()
    {
        ulong raw = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            var b = Take(1)[0];
            raw |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return (long)(raw >> 1) ^ -(long)(raw & 1);
            }
        }
        throw new ProtocolException("Varlong longer than 10 bytes.");
    }

    /// <summary>Reads a length prefix: int16/int32 for classic encodings, unsigned varint minus one for compact ones. -1 means null.</summary>
    private int ReadLength(bool compact, bool shortLength)
    {
        if (compact)
        {
            var n = ReadUnsignedVarInt();
            if (n > int.MaxValue)
            {
                throw new ProtocolException($"Compact length {n} is too large.");
            }
            return (int)n - 1;
        }
        return shortLength ? ReadInt16() : ReadInt32();
    }

    public string? ReadNullableString(bool compact)
    {
        var length = ReadLength(compact, shortLength: true);
        if (length < -1)
        {
            throw new ProtocolException($"Invalid string length {length}.");
        }
        if (length == -1)
        {
            return null;
        }
        var bytes = Take(length);
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new ProtocolException("String is not valid UTF-8.");
        }
    }

    public string ReadString(bool compact) =>
        ReadNullableString(compact) ?? throw new ProtocolException("Non-nullable string was null.");

    public byte[]? ReadNullableBytes(bool compact)
    {
        var length = ReadLength(compact, shortLength: false);
        if (length < -1)
        {
            throw new ProtocolException($"Invalid bytes length {length}.");
        }
        return length == -1 ? null : Take(length).ToArray();
    }

    public byte[] ReadBytes(bool compact) =>
        ReadNullableBytes(compact) ?? throw new ProtocolException("Non-nullable bytes field was null.");

    /// <summary>A record set: a slice of the request buffer, not a copy.</summary>
    public ReadOnlyMemory<byte>? ReadRecords(bool compact)
    {
        var length = ReadLength(compact, shortLength: false);
        if (length < -1)
        {
            throw new ProtocolException($"Invalid records length {length}.");
        }
        if (length == -1)
        {
            return null;
        }
        if (length > Remaining)
        {
            throw new ProtocolException($"Records length {length} exceeds the {Remaining} bytes left.");
        }
        var slice = _buffer.Slice(Position, length);
        Position += length;
        return slice;
    }

    /// <summary>
    /// Reads an array length (-1 for null). A length that cannot fit in the remaining bytes, given each element's
    /// smallest encoding, is rejected before anything is allocated.
    /// </summary>
    public int ReadArrayLength(bool compact, int minElementSize)
    {
        var length = ReadLength(compact, shortLength: false);
        if (length < -1)
        {
            throw new ProtocolException($"Invalid array length {length}.");
        }
        if ((long)length * Math.Max(minElementSize, 1) > Remaining && (minElementSize > 0 || length > Remaining + 1_000_000))
        {
            throw new ProtocolException($"Array length {length} cannot fit in the {Remaining} bytes left.");
        }
        return length;
    }

    /// <summary>Copies the next <paramref name="count"/> bytes (an unknown tagged field's value).</summary>
    public byte[] ReadBytesRaw(int count) => Take(count).ToArray();
}
