using System.Buffers;
using System.Buffers.Binary;
using StreamingPipeline.Storage;

namespace StreamingPipeline.Broker.Log.Cleaner;

/// <summary>
/// Writes one cleaned segment into a staging directory: whole batches copied, batches with some records dropped
/// (rewritten in their codec with their original base offset and last offset delta, so offsets and producer sequences are kept), and
/// empty batches that only keep a producer's last sequence. Buffers writes in a fixed pooled buffer.
/// </summary>
internal sealed class CleanedSegmentWriter : IDisposable
{
    private const int BufferBytes = 1024 * 1024;

    private readonly LogSegment _segment;
    private readonly int _indexIntervalBytes;
    private byte[] _buffer;
    private int _buffered;

    /// <summary>Creates the segment file for <paramref name="baseOffset"/> in <paramref name="stagingDirectory"/>.</summary>
    public CleanedSegmentWriter(string stagingDirectory, long baseOffset, int indexIntervalBytes)
    {
        _segment = LogSegment.Create(stagingDirectory, baseOffset);
        _indexIntervalBytes = indexIntervalBytes;
        _buffer = ArrayPool<byte>.Shared.Rent(BufferBytes);
        StagingDirectory = stagingDirectory;
    }

    /// <summary>The directory holding the segment's files.</summary>
    public string StagingDirectory { get; }

    /// <summary>Bytes written so far.</summary>
    public long BytesWritten { get; private set; }

    /// <summary>Copies a batch unchanged.</summary>
    public void Copy(ReadOnlySpan<byte> batch)
    {
        batch.CopyTo(Reserve(batch.Length));
        Commit(batch.Length);
    }

    /// <summary>
    /// Writes <paramref name="batch"/> keeping only the records at the given (start, length) ranges, in order; an
    /// empty list writes the header alone (an empty batch, uncompressed). A batch whose attributes name a codec is
    /// given laid out uncompressed (<see cref="BatchDecompressor"/>) and its retained records are compressed again
    /// with that codec.
    /// </summary>
    public void WriteFiltered(ReadOnlySpan<byte> batch, ReadOnlySpan<(int Start, int Length)> records)
    {
        var codec = new RecordBatchHeader(batch).CompressionType;
        var plainSize = 0;
        foreach (var (_, length) in records)
        {
            plainSize += length;
        }
        byte[]? compressed = null;
        if (codec != RecordCodec.None && records.Length > 0)
        {
            var plain = ArrayPool<byte>.Shared.Rent(plainSize);
            try
            {
                var position = 0;
                foreach (var (start, length) in records)
                {
                    batch.Slice(start, length).CopyTo(plain.AsSpan(position));
                    position += length;
                }
                compressed = RecordCodec.Compress(codec, plain.AsSpan(0, plainSize));
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(plain);
            }
        }
        var size = RecordBatchHeader.Size + (compressed?.Length ?? plainSize);
        var target = Reserve(size);
        batch[..RecordBatchHeader.Size].CopyTo(target);
        if (compressed is not null)
        {
            compressed.CopyTo(target[RecordBatchHeader.Size..]);
        }
        else
        {
            var position = RecordBatchHeader.Size;
            foreach (var (start, length) in records)
            {
                batch.Slice(start, length).CopyTo(target[position..]);
                position += length;
            }
        }
        BinaryPrimitives.WriteInt32BigEndian(target[RecordBatchHeader.BatchLengthPosition..], size - RecordBatchHeader.LogOverhead);
        BinaryPrimitives.WriteInt32BigEndian(target[RecordBatchHeader.RecordCountPosition..], records.Length);
        if (records.Length == 0)
        {
            // No payload left to be compressed.
            var attributes = BinaryPrimitives.ReadInt16BigEndian(target[RecordBatchHeader.AttributesPosition..]);
            BinaryPrimitives.WriteInt16BigEndian(target[RecordBatchHeader.AttributesPosition..], (short)(attributes & ~0x07));
        }
        BinaryPrimitives.WriteUInt32BigEndian(target[RecordBatchHeader.CrcPosition..], RecordBatchHeader.ComputeCrc(target[..size]));
        Commit(size);
    }

    /// <summary>Writes what is buffered, seals the segment (indexes written) and fsyncs its files and the directory.</summary>
    public void Complete(DateTime lastModifiedUtc)
    {
        Drain();
        _segment.Seal();
        _segment.Flush();
        _segment.Dispose();

        // Retention by time and delete.retention.ms look at the data's age, not at when it was rewritten.
        File.SetLastWriteTimeUtc(_segment.LogPath, lastModifiedUtc);
        DirectorySync.Flush(StagingDirectory);
    }

    public void Dispose()
    {
        _segment.Dispose();
        var buffer = _buffer;
        _buffer = [];
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private Span<byte> Reserve(int size)
    {
        if (_buffered + size > _buffer.Length)
        {
            Drain();
            if (size > _buffer.Length)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = ArrayPool<byte>.Shared.Rent(size);
            }
        }
        return _buffer.AsSpan(_buffered, size);
    }

    private void Commit(int size)
    {
        _buffered += size;
        BytesWritten += size;
    }

    private void Drain()
    {
        if (_buffered > 0)
        {
            _segment.Append(_buffer.AsSpan(0, _buffered), _indexIntervalBytes, nowMs: 0);
            _buffered = 0;
        }
    }
}
