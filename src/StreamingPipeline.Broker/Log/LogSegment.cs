using System.Buffers.Binary;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;

namespace StreamingPipeline.Broker.Log;

/// <summary>
/// One segment of a partition log: the data file <c>NNNNNNNNNNNNNNNNNNNN.log</c> (20-digit base offset, as Kafka names
/// it) holding v2 record batches back to back exactly as they are served, with its sparse offset index (<c>.index</c>)
/// and time index (<c>.timeindex</c>).
/// </summary>
/// <remarks>
/// Threading: one writer (the owning <see cref="PartitionLog"/>, under its append lock) appends; readers may read
/// concurrently. The writer writes the bytes, then the index entries, then publishes the new <see cref="Size"/>;
/// readers never look past the size they read, so they never see a partly written batch.
/// </remarks>
internal sealed class LogSegment : IDisposable
{
    public const string LogSuffix = ".log";
    public const string IndexSuffix = ".index";
    public const string TimeIndexSuffix = ".timeindex";

    private const int OffsetLookupHeaderBytes = RecordBatchHeader.LastOffsetDeltaPosition + 4;

    // Index entries are kept in memory until this many accumulate, so the indexes cost one small write per group
    // rather than per entry. Both indexes are written together so that they always cover the same batches on disk;
    // recovery re-creates whatever was not written.
    private const int IndexPersistGroupSize = 64;

    private readonly SafeFileHandle _file;
    private long _size;
    private long _bytesSinceLastIndexEntry;
    private long _maxTimestamp = -1;
    private long _offsetOfMaxTimestamp;
    private int _disposed;
    private int _dirty;

    private LogSegment(string directory, long baseOffset, SafeFileHandle file, long size)
    {
        BaseOffset = baseOffset;
        LogPath = Path.Combine(directory, FileName(baseOffset, LogSuffix));
        OffsetIndex = new OffsetIndex(Path.Combine(directory, FileName(baseOffset, IndexSuffix)), baseOffset);
        TimeIndex = new TimeIndex(Path.Combine(directory, FileName(baseOffset, TimeIndexSuffix)), baseOffset);
        _file = file;
        _size = size;
        _offsetOfMaxTimestamp = baseOffset;
    }

    /// <summary>The offset of the first batch this segment may hold.</summary>
    public long BaseOffset { get; }

    /// <summary>The data file.</summary>
    public string LogPath { get; }

    /// <summary>The sparse offset index.</summary>
    public OffsetIndex OffsetIndex { get; }

    /// <summary>The sparse time index.</summary>
    public TimeIndex TimeIndex { get; }

    /// <summary>Bytes of whole batches readers may read.</summary>
    public long Size => Volatile.Read(ref _size);

    /// <summary>The largest batch max timestamp in the segment, or -1 when it has none.</summary>
    public long MaxTimestamp => Volatile.Read(ref _maxTimestamp);

    /// <summary>The base offset of the first batch that carries <see cref="MaxTimestamp"/>.</summary>
    public long OffsetOfMaxTimestamp => Volatile.Read(ref _offsetOfMaxTimestamp);

    /// <summary>When the first batch was appended (by the broker's clock), for segment.ms; -1 while empty.</summary>
    public long FirstAppendTimeMs { get; private set; } = -1;

    /// <summary>The data file name of a segment: the base offset as 20 digits plus <paramref name="suffix"/>.</summary>
    public static string FileName(long baseOffset, string suffix) =>
        baseOffset.ToString("D20", CultureInfo.InvariantCulture) + suffix;

    /// <summary>Parses a data file name back to its base offset.</summary>
    public static bool TryParseBaseOffset(string fileName, out long baseOffset)
    {
        baseOffset = -1;
        return fileName.Length == 20 + LogSuffix.Length
            && fileName.EndsWith(LogSuffix, StringComparison.Ordinal)
            && long.TryParse(fileName.AsSpan(0, 20), NumberStyles.None, CultureInfo.InvariantCulture, out baseOffset);
    }

    /// <summary>Creates a new, empty segment (replacing any stale files of that name).</summary>
    public static LogSegment Create(string directory, long baseOffset)
    {
        var path = Path.Combine(directory, FileName(baseOffset, LogSuffix));
        var file = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        var segment = new LogSegment(directory, baseOffset, file, 0) { _dirty = 1 };
        segment.OffsetIndex.Persist(flushToDisk: false);
        segment.TimeIndex.Persist(flushToDisk: false);
        return segment;
    }

    /// <summary>
    /// Opens a closed (non-active) segment. Its indexes are trusted if they load whole and agree with the data file;
    /// otherwise they are rebuilt by walking the segment, which also truncates a corrupt tail.
    /// </summary>
    public static LogSegment OpenSealed(string directory, long baseOffset, long nextSegmentBaseOffset, int indexIntervalBytes, ILogger logger)
    {
        var segment = OpenFile(directory, baseOffset);
        try
        {
            var size = segment.Size;
            var offsetIndexComplete = segment.OffsetIndex.Load(size);
            var timeIndexComplete = segment.TimeIndex.LoadEntries();
            if (offsetIndexComplete && timeIndexComplete && segment.TryVerifyTail(nextSegmentBaseOffset))
            {
                return segment;
            }
            LogMessages.RebuildingIndexes(logger, segment.LogPath);
            segment.OffsetIndex.Clear();
            segment.TimeIndex.Clear();
            segment._maxTimestamp = -1;
            segment._offsetOfMaxTimestamp = baseOffset;
            segment.Walk(0, baseOffset, indexIntervalBytes, logger, allowOffsetGaps: true);
            segment.Seal();
            return segment;
        }
        catch
        {
            segment.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens the active (last) segment and recovers it: starts at the last offset-index entry that points at a valid
    /// batch (or at the start), checks every batch from there (framing, magic 2, CRC-32C, consecutive offsets),
    /// truncates the file at the first bad byte, and re-indexes what it walked. Returns the next offset to assign.
    /// </summary>
    public static LogSegment OpenActive(string directory, long baseOffset, int indexIntervalBytes, long nowMs, ILogger logger, out long nextOffset)
    {
        var segment = OpenFile(directory, baseOffset);
        try
        {
            nextOffset = segment.Recover(indexIntervalBytes, logger);
            if (segment.Size > 0)
            {
                segment.FirstAppendTimeMs = nowMs;
            }
            return segment;
        }
        catch
        {
            segment.Dispose();
            throw;
        }
    }

    /// <summary>Reads into <paramref name="destination"/> from <paramref name="position"/> until it is full or the file ends.</summary>
    public static int ReadFully(SafeFileHandle file, Span<byte> destination, long position)
    {
        var total = 0;
        while (total < destination.Length)
        {
            var read = RandomAccess.Read(file, destination[total..], position + total);
            if (read == 0)
            {
                break;
            }
            total += read;
        }
        return total;
    }

    /// <summary>Reads bytes of the data file; the caller keeps within <see cref="Size"/>.</summary>
    public int Read(Span<byte> destination, long position) => ReadFully(_file, destination, position);

    /// <summary>A cursor over the batches in [<paramref name="start"/>, <paramref name="end"/>).</summary>
    public SegmentBatchCursor OpenCursor(long start, long end) => new(_file, start, end);

    /// <summary>
    /// Appends batches that were validated and given offsets, then indexes them. Called only by the writer. If the
    /// write fails, whatever part of it reached the file is cut off again and the segment is unchanged.
    /// </summary>
    public void Append(ReadOnlySpan<byte> records, int indexIntervalBytes, long nowMs)
    {
        var position = _size;
        Volatile.Write(ref _dirty, 1);
        try
        {
            RandomAccess.Write(_file, records, position);
        }
        catch (IOException)
        {
            TryTruncate(position);
            throw;
        }
        if (position == 0)
        {
            FirstAppendTimeMs = nowMs;
        }
        var offset = 0;
        while (offset < records.Length)
        {
            var header = new RecordBatchHeader(records[offset..]);
            var batchSize = header.TotalSize;
            IndexBatch(header, position + offset, batchSize, indexIntervalBytes);
            offset += batchSize;
        }
        Volatile.Write(ref _size, position + records.Length);
        if (OffsetIndex.PendingCount >= IndexPersistGroupSize)
        {
            try
            {
                PersistIndexes();
            }
            catch (IOException)
            {
                // The indexes are a cache of the data, which is written; the next persist or a recovery catches up.
            }
        }
    }

    /// <summary>
    /// Finds the first batch, at or after the indexed position for <paramref name="offset"/> and within
    /// <paramref name="limit"/> bytes, whose last offset is at least <paramref name="offset"/>; null if none is.
    /// </summary>
    public BatchLocation? FindBatch(long offset, long limit)
    {
        Span<byte> header = stackalloc byte[OffsetLookupHeaderBytes];
        long position = OffsetIndex.LookupPosition(offset);
        while (position + OffsetLookupHeaderBytes <= limit)
        {
            if (Read(header, position) < OffsetLookupHeaderBytes)
            {
                return null;
            }
            var baseOffset = BinaryPrimitives.ReadInt64BigEndian(header);
            var batchLength = BinaryPrimitives.ReadInt32BigEndian(header[RecordBatchHeader.BatchLengthPosition..]);
            var lastOffsetDelta = BinaryPrimitives.ReadInt32BigEndian(header[RecordBatchHeader.LastOffsetDeltaPosition..]);
            var size = batchLength + RecordBatchHeader.LogOverhead;
            if (baseOffset + lastOffsetDelta >= offset)
            {
                return new BatchLocation(position, size, baseOffset);
            }
            position += size;
        }
        return null;
    }

    /// <summary>The position from which to scan for the first batch with a max timestamp of at least <paramref name="timestamp"/>.</summary>
    public long LookupPositionForTimestamp(long timestamp) => OffsetIndex.LookupPosition(TimeIndex.LookupOffset(timestamp));

    /// <summary>
    /// Marks the end of appends: adds a final time-index entry holding the segment's max timestamp and writes both
    /// indexes (without fsync), so that a killed process leaves a closed segment with whole indexes.
    /// </summary>
    public void Seal()
    {
        if (Size > 0)
        {
            TimeIndex.MaybeAppend(_maxTimestamp, _offsetOfMaxTimestamp);
            Volatile.Write(ref _dirty, 1);
        }
        PersistIndexes();
    }

    /// <summary>Fsyncs the data file and writes and fsyncs both indexes, if anything changed since the last flush.</summary>
    public void Flush()
    {
        // Cleared before the fsync, so an append that lands meanwhile marks the segment for the next flush.
        if (Interlocked.Exchange(ref _dirty, 0) == 0)
        {
            return;
        }
        RandomAccess.FlushToDisk(_file);
        OffsetIndex.Persist(flushToDisk: true);
        TimeIndex.Persist(flushToDisk: true);
    }

    /// <summary>Fsyncs only the data file; the indexes can be rebuilt from it.</summary>
    public void FlushData() => RandomAccess.FlushToDisk(_file);

    /// <summary>Writes index entries not yet in their files, without fsync (for a clean close).</summary>
    public void PersistIndexes()
    {
        OffsetIndex.Persist(flushToDisk: false);
        TimeIndex.Persist(flushToDisk: false);
    }

    /// <summary>Closes the data file and deletes the segment's files, the data file first so that a crash midway
    /// leaves only index files, which the next open discards.</summary>
    public void Delete()
    {
        Dispose();
        File.Delete(LogPath);
        OffsetIndex.DeleteFile();
        TimeIndex.DeleteFile();
    }

    /// <summary>The file's modification time, which retention uses when no batch carries a timestamp.</summary>
    public long LastModifiedMs() => new DateTimeOffset(File.GetLastWriteTimeUtc(LogPath)).ToUnixTimeMilliseconds();

    /// <summary>
    /// Stops index writes (waiting for one in progress) but keeps the data file open for readers: the log cleaner calls
    /// this before it replaces the segment's files, so a late background flush cannot write into the new ones.
    /// </summary>
    public void CloseIndexes()
    {
        OffsetIndex.Close();
        TimeIndex.Close();
    }

    /// <summary>Closes the data file and stops index writes, including one a background flush has in progress.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            OffsetIndex.Close();
            TimeIndex.Close();
            _file.Dispose();
        }
    }

    private void TryTruncate(long length)
    {
        try
        {
            RandomAccess.SetLength(_file, length);
        }
        catch (IOException)
        {
            // Recovery truncates the torn bytes at the next open; appends overwrite them meanwhile.
        }
    }

    private static LogSegment OpenFile(string directory, long baseOffset)
    {
        var path = Path.Combine(directory, FileName(baseOffset, LogSuffix));
        var file = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        return new LogSegment(directory, baseOffset, file, RandomAccess.GetLength(file));
    }

    private long Recover(int indexIntervalBytes, ILogger logger)
    {
        var fileSize = Size;
        OffsetIndex.Load(fileSize);
        TimeIndex.LoadEntries();

        // Walk back from the last index entry to one that points at a batch that checks out.
        var startPosition = 0L;
        var startOffset = BaseOffset;
        var keep = OffsetIndex.Count;
        while (keep > 0)
        {
            var entry = OffsetIndex.Last!.Value;
            var entryOffset = BaseOffset + entry.RelativeOffset;
            using (var cursor = OpenCursor(entry.Position, fileSize))
            {
                if (cursor.Next(verifyCrc: true, entryOffset, out _) == BatchReadStatus.Batch)
                {
                    startPosition = entry.Position;
                    startOffset = entryOffset;
                    break;
                }
            }
            keep--;
            OffsetIndex.TruncateTo(keep);
        }
        TimeIndex.TruncateFrom(startOffset);
        var last = TimeIndex.Last;
        _maxTimestamp = last?.Timestamp ?? -1;
        _offsetOfMaxTimestamp = BaseOffset + (last?.RelativeOffset ?? 0);
        _size = startPosition;
        return Walk(startPosition, startOffset, indexIntervalBytes, logger);
    }

    /// <summary>
    /// Checks and indexes every batch from <paramref name="position"/> to the end of the file, truncating the file at
    /// the first invalid one. Returns the offset after the last valid batch.
    /// </summary>
    private long Walk(long position, long expectedOffset, int indexIntervalBytes, ILogger logger, bool allowOffsetGaps = false)
    {
        var fileSize = RandomAccess.GetLength(_file);
        _bytesSinceLastIndexEntry = 0;
        BatchReadStatus status;
        string? problem;
        using (var cursor = OpenCursor(position, fileSize))
        {
            while ((status = cursor.Next(verifyCrc: true, expectedOffset, out var batch, allowOffsetGaps)) == BatchReadStatus.Batch)
            {
                var header = new RecordBatchHeader(batch.Span);
                IndexBatch(header, cursor.Position - batch.Length, batch.Length, indexIntervalBytes);
                expectedOffset = header.LastOffset + 1;
            }
            position = cursor.Position;
            problem = cursor.Problem;
        }
        if (status != BatchReadStatus.End)
        {
            LogMessages.TruncatingSegment(logger, LogPath, position, fileSize, problem ?? status.ToString());
            RandomAccess.SetLength(_file, position);
            RandomAccess.FlushToDisk(_file);
        }
        Volatile.Write(ref _size, position);
        OffsetIndex.Persist(flushToDisk: false);
        TimeIndex.Persist(flushToDisk: false);
        return expectedOffset;
    }

    private void IndexBatch(in RecordBatchHeader header, long position, int batchSize, int indexIntervalBytes)
    {
        var maxTimestamp = header.MaxTimestamp;
        if (maxTimestamp > _maxTimestamp)
        {
            Volatile.Write(ref _offsetOfMaxTimestamp, header.BaseOffset);
            Volatile.Write(ref _maxTimestamp, maxTimestamp);
        }
        if (_bytesSinceLastIndexEntry > indexIntervalBytes)
        {
            OffsetIndex.Append(header.BaseOffset, checked((int)position));
            TimeIndex.MaybeAppend(_maxTimestamp, _offsetOfMaxTimestamp);
            _bytesSinceLastIndexEntry = 0;
        }
        _bytesSinceLastIndexEntry += batchSize;
    }

    /// <summary>
    /// Checks a closed segment's loaded indexes against its data: walks the batch headers from the last offset-index
    /// entry to the end of the file (consecutive offsets, ending exactly at the end and before the next segment), and
    /// takes the segment's max timestamp from the time index and the walked tail.
    /// </summary>
    private bool TryVerifyTail(long nextSegmentBaseOffset)
    {
        var lastTime = TimeIndex.Last;
        if (lastTime is { } t && BaseOffset + t.RelativeOffset >= nextSegmentBaseOffset)
        {
            return false;
        }
        var position = 0L;
        var expectedOffset = BaseOffset;
        if (OffsetIndex.Last is { } last)
        {
            position = last.Position;
            expectedOffset = BaseOffset + last.RelativeOffset;
        }
        var maxTimestamp = lastTime?.Timestamp ?? -1;
        var offsetOfMaxTimestamp = BaseOffset + (lastTime?.RelativeOffset ?? 0);
        BatchReadStatus status;
        using (var cursor = OpenCursor(position, Size))
        {
            // A closed segment may have been compacted, so its offsets may have gaps.
            while ((status = cursor.Next(verifyCrc: false, expectedOffset, out var batch, allowOffsetGaps: true)) == BatchReadStatus.Batch)
            {
                var header = new RecordBatchHeader(batch.Span);
                if (header.MaxTimestamp > maxTimestamp)
                {
                    maxTimestamp = header.MaxTimestamp;
                    offsetOfMaxTimestamp = header.BaseOffset;
                }
                expectedOffset = header.LastOffset + 1;
            }
        }
        if (status != BatchReadStatus.End || expectedOffset > nextSegmentBaseOffset)
        {
            return false;
        }
        _maxTimestamp = maxTimestamp;
        _offsetOfMaxTimestamp = offsetOfMaxTimestamp;
        if (Size > 0 && (lastTime is null || maxTimestamp > lastTime.Value.Timestamp))
        {
            // The seal entry did not reach the file.
            Seal();
        }
        return true;
    }
}
