using System.Buffers;
using Microsoft.Win32.SafeHandles;

namespace StreamingPipeline.Broker.Log;

/// <summary>
/// Walks the batches of a byte range of a segment file in order, reading the file in large chunks into a pooled
/// buffer. Used by recovery (with CRC checks), by <see cref="PartitionLog.ReadBatches"/> and by timestamp lookups.
/// A returned batch is valid until the next call; the cursor is not thread-safe.
/// </summary>
internal sealed class SegmentBatchCursor : IDisposable
{
    private const int DefaultChunkSize = 256 * 1024;

    private readonly SafeFileHandle _file;
    private readonly long _end;
    private byte[] _buffer;
    private long _bufferStart;
    private int _bufferLength;

    public SegmentBatchCursor(SafeFileHandle file, long start, long end, int chunkSize = DefaultChunkSize)
    {
        _file = file;
        Position = start;
        _end = end;
        _buffer = ArrayPool<byte>.Shared.Rent(chunkSize);
    }

    /// <summary>Where the next batch starts; after a non-batch status, where the problem is.</summary>
    public long Position { get; private set; }

    /// <summary>Why the last call returned <see cref="BatchReadStatus.Corrupt"/> or <see cref="BatchReadStatus.Truncated"/>.</summary>
    public string? Problem { get; private set; }

    /// <summary>
    /// Reads the batch at <see cref="Position"/> and moves past it. Checks framing and magic always, the CRC when
    /// <paramref name="verifyCrc"/>, and that the batch's base offset is <paramref name="expectedBaseOffset"/> unless
    /// that is negative (or at least that, with <paramref name="allowOffsetGaps"/>: a compacted segment has gaps).
    /// </summary>
    public BatchReadStatus Next(bool verifyCrc, long expectedBaseOffset, out ReadOnlyMemory<byte> batch, bool allowOffsetGaps = false)
    {
        batch = default;
        Problem = null;
        var remaining = _end - Position;
        if (remaining <= 0)
        {
            return BatchReadStatus.End;
        }
        if (remaining < RecordBatchHeader.Size)
        {
            Problem = $"{remaining} bytes at the end are less than a batch header";
            return BatchReadStatus.Truncated;
        }
        var headerBytes = Buffered(Position, RecordBatchHeader.Size);
        var header = new RecordBatchHeader(headerBytes.Span);
        if (header.Magic != RecordBatchHeader.CurrentMagic)
        {
            Problem = $"magic {header.Magic}";
            return BatchReadStatus.Corrupt;
        }
        var batchLength = header.BatchLength;
        if (batchLength < RecordBatchValidator.MinBatchLength)
        {
            Problem = $"batch length {batchLength}";
            return BatchReadStatus.Corrupt;
        }
        var totalSize = (long)batchLength + RecordBatchHeader.LogOverhead;
        if (totalSize > remaining)
        {
            Problem = $"a {totalSize}-byte batch with only {remaining} bytes left";
            return BatchReadStatus.Truncated;
        }
        if (expectedBaseOffset >= 0 && (allowOffsetGaps ? header.BaseOffset < expectedBaseOffset : header.BaseOffset != expectedBaseOffset))
        {
            Problem = $"base offset {header.BaseOffset} where {expectedBaseOffset} was expected";
            return BatchReadStatus.Corrupt;
        }
        var whole = Buffered(Position, (int)totalSize);
        if (verifyCrc)
        {
            var span = whole.Span;
            var stored = new RecordBatchHeader(span).Crc;
            var computed = RecordBatchHeader.ComputeCrc(span);
            if (stored != computed)
            {
                Problem = $"stored CRC {stored:x8}, computed {computed:x8}";
                return BatchReadStatus.Corrupt;
            }
        }
        batch = whole;
        Position += totalSize;
        return BatchReadStatus.Batch;
    }

    public void Dispose()
    {
        var buffer = _buffer;
        _buffer = [];
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private ReadOnlyMemory<byte> Buffered(long position, int count)
    {
        if (position < _bufferStart || position + count > _bufferStart + _bufferLength)
        {
            if (count > _buffer.Length)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = ArrayPool<byte>.Shared.Rent(count);
            }
            var want = (int)Math.Min(_buffer.Length, _end - position);
            _bufferStart = position;
            _bufferLength = LogSegment.ReadFully(_file, _buffer.AsSpan(0, want), position);
            if (_bufferLength < count)
            {
                throw new IOException($"The segment file ended at {position + _bufferLength}, before the {_end} bytes it was known to hold.");
            }
        }
        return new ReadOnlyMemory<byte>(_buffer, (int)(position - _bufferStart), count);
    }
}
