using System.Buffers.Binary;
using System.Text;

using StreamingPipeline.Storage;

namespace StreamingPipeline.Broker.Groups;

/// <summary>
/// A growable byte buffer that entries of the offsets file are framed into, big-endian like Kafka. A frame's length and
/// checksum are patched in when the frame ends, so an entry is serialized once, straight into the bytes that get written.
/// </summary>
internal sealed class OffsetsLogBuffer
{
    private byte[] _bytes;
    private int _length;
    private int _frameStart = -1;

    public OffsetsLogBuffer(int initialCapacity = 4096)
    {
        _bytes = new byte[initialCapacity];
    }

    public int Length => _length;

    public int Capacity => _bytes.Length;

    public ReadOnlyMemory<byte> WrittenMemory => _bytes.AsMemory(0, _length);

    public void Clear() => Truncate(0);

    /// <summary>Drops everything after <paramref name="length"/>, e.g. a frame that failed half-way.</summary>
    public void Truncate(int length)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, _length);
        _length = length;
        _frameStart = -1;
    }

    public void BeginFrame(short version)
    {
        if (_frameStart >= 0)
        {
            throw new InvalidOperationException("A frame is already open.");
        }
        _frameStart = _length;
        // The length and checksum are written by EndFrame, once the payload's size is known.
        Reserve(ChecksummedFrame.HeaderSize);
        BinaryPrimitives.WriteInt16BigEndian(_bytes.AsSpan(_length + ChecksummedFrame.HeaderSize - sizeof(short)), version);
        _length += ChecksummedFrame.HeaderSize;
    }

    public void EndFrame()
    {
        if (_frameStart < 0)
        {
            throw new InvalidOperationException("No frame is open.");
        }
        var frameLength = _length - _frameStart - ChecksummedFrame.LengthSize;
        if (frameLength > ChecksummedFrame.MaxFrameSize)
        {
            throw new InvalidOperationException($"An offsets log entry of {frameLength} bytes exceeds the {ChecksummedFrame.MaxFrameSize}-byte limit.");
        }
        ChecksummedFrame.Seal(_bytes.AsSpan(_frameStart, _length - _frameStart));
        _frameStart = -1;
    }

    public void WriteByte(byte value)
    {
        Reserve(1);
        _bytes[_length++] = value;
    }

    public void WriteInt32(int value)
    {
        Reserve(sizeof(int));
        BinaryPrimitives.WriteInt32BigEndian(_bytes.AsSpan(_length), value);
        _length += sizeof(int);
    }

    public void WriteInt64(long value)
    {
        Reserve(sizeof(long));
        BinaryPrimitives.WriteInt64BigEndian(_bytes.AsSpan(_length), value);
        _length += sizeof(long);
    }

    /// <summary>Writes a UTF-8 string after its byte count; null is written as count -1.</summary>
    public void WriteString(string? value)
    {
        if (value is null)
        {
            WriteInt32(-1);
            return;
        }
        var byteCount = Encoding.UTF8.GetByteCount(value);
        WriteInt32(byteCount);
        Reserve(byteCount);
        _length += Encoding.UTF8.GetBytes(value, _bytes.AsSpan(_length));
    }

    private void Reserve(int count)
    {
        if (_bytes.Length - _length >= count)
        {
            return;
        }
        var capacity = Math.Max(_bytes.Length * 2, _length + count);
        Array.Resize(ref _bytes, capacity);
    }
}
