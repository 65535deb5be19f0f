using System.Buffers.Binary;
using System.Text;

namespace StreamingPipeline.Broker.Groups;

/// <summary>Reads the fields of one entry's payload in the order <see cref="OffsetsLogBuffer"/> wrote them.</summary>
internal ref struct OffsetsLogPayloadReader
{
    private ReadOnlySpan<byte> _remaining;

    public OffsetsLogPayloadReader(ReadOnlySpan<byte> payload)
    {
        _remaining = payload;
    }

    public readonly bool IsAtEnd => _remaining.IsEmpty;

    public byte ReadByte() => Take(1)[0];

    public int ReadInt32() => BinaryPrimitives.ReadInt32BigEndian(Take(sizeof(int)));

    public long ReadInt64() => BinaryPrimitives.ReadInt64BigEndian(Take(sizeof(long)));

    public string? ReadNullableString()
    {
        var byteCount = ReadInt32();
        if (byteCount == -1)
        {
            return null;
        }
        if (byteCount < 0)
        {
            throw new InvalidDataException($"Negative string length {byteCount} in an offsets log entry.");
        }
        return Encoding.UTF8.GetString(Take(byteCount));
    }

    public string ReadString() =>
        ReadNullableString() ?? throw new InvalidDataException("A null string where the offsets log format requires one.");

    private ReadOnlySpan<byte> Take(int count)
    {
        if (_remaining.Length < count)
        {
            throw new InvalidDataException("An offsets log entry ends before its last field.");
        }
        var taken = _remaining[..count];
        _remaining = _remaining[count..];
        return taken;
    }
}
