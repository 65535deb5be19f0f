using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace StreamingPipeline.Protocol;

/// <summary>
/// Writes Kafka protocol primitives into a growable buffer rented from <see cref="ArrayPool{T}"/>.
/// Dispose returns the buffer; <see cref="WrittenMemory"/> is valid until then. A writer created with a
/// records-reference threshold does not copy large records values: it remembers them and hands them out beside its own
/// bytes through <see cref="AddSegmentsTo"/>, so a multi-megabyte fetch response is sent without being copied.
/// </summary>
public sealed class ProtocolWriter : IDisposable
{
    private readonly int _referenceRecordsFrom;
    private List<(int BufferPosition, ArraySegment<byte> Bytes)>? _references;
    private byte[] _buffer;
    private int _length;
    private int _referencedBytes;

    /// <summary>Creates a writer with at least <paramref name="initialCapacity"/> bytes of room.</summary>
    public ProtocolWriter(int initialCapacity = 256)
        : this(initialCapacity, int.MaxValue)
    {
    }

    /// <summary>
    /// Creates a writer that references, instead of copying, records values of at least
    /// <paramref name="referenceRecordsFrom"/> bytes; the caller keeps them alive until the segments were sent.
    /// </summary>
    public ProtocolWriter(int initialCapacity, int referenceRecordsFrom)
    {
        _buffer = ArrayPool<byte>.Shared.Rent(initialCapacity);
        _referenceRecordsFrom = Math.Max(1, referenceRecordsFrom);
    }

    /// <summary>Bytes written so far, referenced records included.</summary>
    public int Position => _length + _referencedBytes;

    /// <summary>True when some records were referenced rather than copied; then only <see cref="AddSegmentsTo"/> gives the whole output.</summary>
    public bool HasReferences => _references is { Count: > 0 };

    /// <summary>The bytes written so far; not available when <see cref="HasReferences"/>.</summary>
    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, ContiguousLength());

    /// <summary>The bytes written so far; not available when <see cref="HasReferences"/>.</summary>
    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, ContiguousLength());

    /// <summary>Forgets what was written, keeping the buffer.</summary>
    public void Reset()
    {
        _length = 0;
        _referencedBytes = 0;
        _references?.Clear();
    }

    /// <summary>Appends the output, in order, as the writer's own bytes interleaved with the referenced records.</summary>
    public void AddSegmentsTo(IList<ArraySegment<byte>> segments)
    {
        var start = 0;
        for (var i = 0; i < (_references?.Count ?? 0); i++)
        {
            var (bufferPosition, bytes) = _references![i];
            if (bufferPosition > start)
            {
                segments.Add(new ArraySegment<byte>(_buffer, start, bufferPosition - start));
            }
            segments.Add(bytes);
            start = bufferPosition;
        }
        if (_length > start)
        {
            segments.Add(new ArraySegment<byte>(_buffer, start, _length - start));
        }
    }

    /// <summary>Reserves <paramref name="count"/> bytes and returns them for the caller to fill.</summary>
    public Span<byte> Advance(int count)
    {
        Ensure(count);
        var span = _buffer.AsSpan(_length, count);
        _length += count;
        return span;
    }

    private int ContiguousLength() => HasReferences
        ? throw new InvalidOperationException("The output references records; read it with AddSegmentsTo.")
        : _length;

    private void Ensure(int count)
    {
        if (_length + count <= _buffer.Length)
        {
            return;
        }
        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _length + count));
        _buffer.AsSpan(0, _length).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = bigger;
    }

    /// <summary>Overwrites an int32 at an earlier position (used for size prefixes).</summary>
    public void PatchInt32(int position, int value) => BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(BufferPositionOf(position), 4), value);

    /// <summary>Where logical <paramref name="position"/> (referenced bytes counted) lies in the writer's own buffer.</summary>
    private int BufferPositionOf(int position)
    {
        if (_references is null)
        {
            return position;
        }
        var referencedBefore = 0;
        foreach (var (bufferPosition, bytes) in _references)
        {
            var logicalStart = bufferPosition + referencedBefore;
            if (position < logicalStart)
            {
                break;
            }
            if (position < logicalStart + bytes.Count)
            {
                throw new InvalidOperationException("Cannot patch bytes inside referenced records.");
            }
            referencedBefore += bytes.Count;
        }
        return position - referencedBefore;
    }

    public void WriteBool(bool value) => Advance(1)[0] = value ? (byte)1 : (byte)0;
    public void WriteInt8(sbyte value) => Advance(1)[0] = (byte)value;
    public void WriteInt16(short value) => BinaryPrimitives.WriteInt16BigEndian(Advance(2), value);
    public void WriteUInt16(ushort value) => BinaryPrimitives.WriteUInt16BigEndian(Advance(2), value);
    public void WriteInt32(int value) => BinaryPrimitives.WriteInt32BigEndian(Advance(4), value);
    public void WriteUInt32(uint value) => BinaryPrimitives.WriteUInt32BigEndian(Advance(4), value);
    public void WriteInt64(long value) => BinaryPrimitives.WriteInt64BigEndian(Advance(8), value);
    public void WriteFloat64(double value) => BinaryPrimitives.WriteDoubleBigEndian(Advance(8), value);
    public void WriteUuid(Guid value) => value.TryWriteBytes(Advance(16), bigEndian: true, out _);

    public void WriteUnsignedVarInt(uint value)
    {
        while (value >= 0x80)
        {
            Advance(1)[0] = (byte)(value | 0x80);
            value >>= 7;
        }
        Advance(1)[0] = (byte)value;
    }

    public void WriteVarInt(int value) => WriteUnsignedVarInt((uint)((value << 1) ^ (value >> 31)));

    public void WriteVarLong(long value)
    {
        var raw = (ulong)((value << 1) ^ (value >> 63));
        while (raw >= 0x80)
        {
            Advance(1)[0] = (byte)(raw | 0x80);
            raw >>= 7;
        }
        Advance(1)[0] = (byte)raw;
    }

    /// <summary>The number of bytes <see cref="WriteUnsignedVarInt"/> uses for <paramref name="value"/>.</summary>
    public static int UnsignedVarIntSize(uint value)
    {
        var size = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            size++;
        }
        return size;
    }

    private void WriteLength(int length, bool compact, bool shortLength)
    {
        if (compact)
        {
            WriteUnsignedVarInt((uint)(length + 1));
        }
        else if (shortLength)
        {
            WriteInt16(checked((short)length));
        }
        else
        {
            WriteInt32(length);
        }
    }

    public void WriteNullableString(string? value, bool compact)
    {
        if (value is null)
        {
            WriteLength(-1, compact, shortLength: true);
            return;
        }
        var count = Encoding.UTF8.GetByteCount(value);
        WriteLength(count, compact, shortLength: true);
        Encoding.UTF8.GetBytes(value, Advance(count));
    }

    public void WriteString(string value, bool compact) => WriteNullableString(value ?? throw new InvalidOperationException("Non-nullable string is null."), compact);

    public void WriteNullableBytes(ReadOnlySpan<byte> value, bool isNull, bool compact)
    {
        if (isNull)
        {
            WriteLength(-1, compact, shortLength: false);
            return;
        }
        WriteLength(value.Length, compact, shortLength: false);
        value.CopyTo(Advance(value.Length));
    }

    public void WriteBytes(byte[]? value, bool compact) => WriteNullableBytes(value, value is null, compact);

    public void WriteRecords(ReadOnlyMemory<byte>? value, bool compact)
    {
        if (value is { } records && records.Length >= _referenceRecordsFrom && MemoryMarshal.TryGetArray(records, out var segment))
        {
            WriteLength(records.Length, compact, shortLength: false);
            (_references ??= []).Add((_length, segment));
            _referencedBytes += records.Length;
            return;
        }
        WriteNullableBytes(value.HasValue ? value.Value.Span : default, !value.HasValue, compact);
    }

    public void WriteArrayLength(int count, bool compact) => WriteLength(count, compact, shortLength: false);

    public void WriteRaw(ReadOnlySpan<byte> bytes) => bytes.CopyTo(Advance(bytes.Length));

    /// <inheritdoc/>
    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, []);
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
