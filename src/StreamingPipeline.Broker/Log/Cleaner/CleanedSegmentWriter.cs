using System.Buffers;
using System.Buffers.Binary;
using StreamingPipeline.Storage;

namespace StreamingPipeline.Broker.Log.Cleaner;

/// <summary>
/// Writes one cleaned segment into a staging directory: whole batches copied, batches with some records dropped or a
/// delete horizon stamped (rewritten in their codec with their original base offset and last offset delta, so offsets
/// and producer sequences are kept), and empty batches that only keep a producer's last sequence. Buffers writes in a
/// fixed pooled buffer.
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
    /// Writes <paramref name="batch"/> keeping only the records at the given (start, length) ranges, in order, as
    /// Kafka's cleaner rebuilds a batch: offsets, producer id, epoch and sequence kept; the max timestamp recomputed
    /// from the records kept (a LogAppendTime batch keeps its own), so the time index and ListOffsets by time stay
    /// right; with <paramref name="deleteHorizonMs"/>, that horizon stamped into the batch (KIP-534: attribute bit and
    /// base timestamp, every record's timestamp delta re-encoded against it so no record's timestamp changes). An
    /// empty list writes the header alone (an empty batch, uncompressed, its base timestamp the old max timestamp, as
    /// Kafka writes it). A batch whose attributes name a codec is given laid out uncompressed
    /// (<see cref="BatchDecompressor"/>) and its retained records are compressed again with that codec.
    /// </summary>
    public void WriteRetained(ReadOnlySpan<byte> batch, ReadOnlySpan<(int Start, int Length)> records, long? deleteHorizonMs)
    {
        var header = new RecordBatchHeader(batch);
        var codec = header.CompressionType;
        var oldBase = header.BaseTimestamp;
        var newBase = records.Length == 0 ? header.MaxTimestamp : deleteHorizonMs ?? oldBase;
        var maxTimestamp = header.MaxTimestamp;
        var attributes = header.Attributes;
        if (records.Length == 0)
        {
            // No payload left to be compressed, and no tombstone or marker left to time.
            attributes = (short)(attributes & ~0x07 & ~RecordBatchHeader.DeleteHorizonFlag);
        }
        else if (deleteHorizonMs is not null)
        {
            attributes |= RecordBatchHeader.DeleteHorizonFlag;
        }
        var bound = 0;
        foreach (var (_, length) in records)
        {
            bound += length + RecordRebase.MaxGrowthOnRebase;
        }
        var plain = ArrayPool<byte>.Shared.Rent(Math.Max(bound, 1));
        try
        {
            var plainSize = 0;
            var recordsMax = long.MinValue;
            foreach (var (start, length) in records)
            {
                var record = batch.Slice(start, length);
                recordsMax = Math.Max(recordsMax, oldBase + RecordRebase.TimestampDelta(record));
                plainSize += newBase == oldBase
                    ? Copied(record, plain.AsSpan(plainSize))
                    : RecordRebase.Rebase(record, oldBase, newBase, plain.AsSpan(plainSize));
            }
            if (records.Length > 0 && !header.IsLogAppendTime)
            {
                maxTimestamp = recordsMax;
            }
            ReadOnlySpan<byte> payload = codec != RecordCodec.None && records.Length > 0
                ? RecordCodec.Compress(codec, plain.AsSpan(0, plainSize))
                : plain.AsSpan(0, plainSize);
            var size = RecordBatchHeader.Size + payload.Length;
            var target = Reserve(size);
            batch[..RecordBatchHeader.Size].CopyTo(target);
            payload.CopyTo(target[RecordBatchHeader.Size..]);
            BinaryPrimitives.WriteInt32BigEndian(target[RecordBatchHeader.BatchLengthPosition..], size - RecordBatchHeader.LogOverhead);
            BinaryPrimitives.WriteInt16BigEndian(target[RecordBatchHeader.AttributesPosition..], attributes);
            BinaryPrimitives.WriteInt64BigEndian(target[RecordBatchHeader.BaseTimestampPosition..], newBase);
            BinaryPrimitives.WriteInt64BigEndian(target[RecordBatchHeader.MaxTimestampPosition..], maxTimestamp);
            BinaryPrimitives.WriteInt32BigEndian(target[RecordBatchHeader.RecordCountPosition..], records.Length);
            BinaryPrimitives.WriteUInt32BigEndian(target[RecordBatchHeader.CrcPosition..], RecordBatchHeader.ComputeCrc(target[..size]));
            Commit(size);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(plain);
        }
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

    private static int Copied(ReadOnlySpan<byte> record, Span<byte> target)
    {
        record.CopyTo(target);
        return record.Length;
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
