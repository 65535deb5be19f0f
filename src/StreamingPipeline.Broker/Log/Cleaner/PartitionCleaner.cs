using System.Buffers.Binary;
using Microsoft.Extensions.Logging;

namespace StreamingPipeline.Broker.Log.Cleaner;

/// <summary>
/// Compacts one partition in one pass (Kafka's Cleaner): fills the <see cref="OffsetMap"/> with the latest offset of
/// every key in the dirty range (compressed batches decompressed, and their retained records compressed again with the
/// batch's codec, as Kafka does), then rewrites the cleanable segments from the log start, in groups that fit one
/// segment, keeping a record unless a later record has its key, it is a tombstone older than delete.retention.ms, it
/// belongs to an aborted transaction, or it has no key. Offsets never change. Never reads or touches the active segment
/// or anything at or after the last stable offset. Each group is swapped in with
/// <see cref="PartitionLog.ReplaceSegments"/>; appends and reads go on meanwhile.
/// </summary>
internal sealed class PartitionCleaner
{
    private readonly OffsetMap _map;
    private readonly CleanerThrottle _throttle;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly List<(int Start, int Length)> _retained = [];

    public PartitionCleaner(OffsetMap map, CleanerThrottle throttle, TimeProvider time, ILogger logger)
    {
        _map = map;
        _throttle = throttle;
        _time = time;
        _logger = logger;
    }

    /// <summary>
    /// How dirty <paramref name="log"/> is, with <paramref name="checkpoint"/> the offset up to which an earlier pass
    /// cleaned it; null when it is not compacted or has nothing cleanable past the checkpoint.
    /// </summary>
    public static CleaningCandidate? Assess(PartitionLog log, long checkpoint, long nowMs)
    {
        var config = log.Config;
        var segments = log.Segments;
        if (!config.Compact || segments.Length < 2)
        {
            return null;
        }
        var firstDirty = Math.Max(checkpoint, log.LogStartOffset);
        var lastStable = log.LastStableOffset;
        var lagCutoff = nowMs - config.MinCompactionLagMs;
        var cleanable = 0;
        for (var i = 0; i < segments.Length - 1; i++)
        {
            var end = segments[i + 1].BaseOffset;
            if (end > lastStable || (end > firstDirty && config.MinCompactionLagMs > 0 && segments[i].MaxTimestamp > lagCutoff))
            {
                break;
            }
            cleanable = i + 1;
        }
        var uncleanable = segments[cleanable].BaseOffset;
        if (cleanable == 0 || firstDirty >= uncleanable)
        {
            return null;
        }
        long cleanBytes = 0, dirtyBytes = 0;
        var maxLagDue = false;
        for (var i = 0; i < cleanable; i++)
        {
            if (segments[i + 1].BaseOffset <= firstDirty)
            {
                cleanBytes += segments[i].Size;
                continue;
            }
            dirtyBytes += segments[i].Size;
            if (config.MaxCompactionLagMs != long.MaxValue && !maxLagDue)
            {
                maxLagDue = FirstTimestamp(segments[i]) is { } first && first >= 0 && first < nowMs - config.MaxCompactionLagMs;
            }
        }
        return new CleaningCandidate(log, config, segments, cleanable, firstDirty, uncleanable, cleanBytes, dirtyBytes, maxLagDue);
    }

    /// <summary>Runs one pass over the candidate's log; the result's end offset is the next pass's checkpoint.</summary>
    public PartitionCleaningResult Clean(CleaningCandidate candidate, CancellationToken cancellationToken)
    {
        var log = candidate.Log;
        var config = candidate.Config;
        var nowMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var lastBatches = log.CollectProducerLastBatchOffsets();
        var transactions = new TransactionTracker(log.CleanerProducerState, log.LogStartOffset, candidate.UncleanableOffset);
        _map.Clear();
        var endOffset = BuildOffsetMap(candidate, transactions, cancellationToken);

        var segments = candidate.Segments;
        var toClean = 0;
        while (toClean < candidate.CleanableSegmentCount && segments[toClean].BaseOffset < endOffset)
        {
            toClean++;
        }
        var deleteHorizonMs = nowMs - config.DeleteRetentionMs;
        long bytesRead = 0, bytesWritten = 0, removed = 0;
        var groups = 0;
        var index = 0;
        while (index < toClean)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var count = GroupSize(segments, index, toClean, config.SegmentBytes);
            var group = segments[index..(index + count)];
            var (written, groupRemoved) = CleanGroup(log, group, segments[index + count].BaseOffset, config, endOffset, deleteHorizonMs, lastBatches, transactions, cancellationToken);
            if (written < 0)
            {
                LogCleanerMessages.SegmentsChanged(_logger, log.Topic, log.Partition);
                return new PartitionCleaningResult(log.Topic, log.Partition, false, candidate.FirstDirtyOffset, bytesRead, bytesWritten, index, groups, _map.Count, removed);
            }
            foreach (var segment in group)
            {
                bytesRead += segment.Size;
            }
            bytesWritten += written;
            removed += groupRemoved;
            groups++;
            index += count;
        }
        LogCleanerMessages.Cleaned(_logger, log.Topic, log.Partition, endOffset, bytesRead, bytesWritten, toClean, groups);
        return new PartitionCleaningResult(log.Topic, log.Partition, true, endOffset, bytesRead, bytesWritten, toClean, groups, _map.Count, removed);
    }

    /// <summary>
    /// Records the latest offset of each key from the first dirty offset on. Returns where it stopped: the uncleanable
    /// offset, or the offset of the first record whose key no longer fit (the rest waits for the next pass).
    /// Records of aborted transactions and control batches add nothing; compressed batches are decompressed (one that
    /// does not decompress adds nothing, and is kept whole by the copy).
    /// </summary>
    private long BuildOffsetMap(CleaningCandidate candidate, TransactionTracker transactions, CancellationToken cancellationToken)
    {
        var segments = candidate.Segments;
        var firstDirty = candidate.FirstDirtyOffset;
        for (var i = 0; i < candidate.CleanableSegmentCount; i++)
        {
            if (segments[i + 1].BaseOffset <= firstDirty)
            {
                continue;
            }
            cancellationToken.ThrowIfCancellationRequested();
            var segment = segments[i];
            using var cursor = segment.OpenCursor(0, segment.Size);
            while (cursor.Next(verifyCrc: false, expectedBaseOffset: -1, out var memory) == BatchReadStatus.Batch)
            {
                _throttle.Throttle(memory.Length, cancellationToken);
                var batch = memory.Span;
                var header = new RecordBatchHeader(batch);
                if (header.LastOffset < firstDirty || header.IsControl
                    || (header.IsTransactional && transactions.IsAborted(header.ProducerId, header.BaseOffset))
                    || !TryReadable(ref batch, header))
                {
                    continue;
                }
                var reader = new RecordReader(batch);
                while (reader.TryNext(out var record))
                {
                    var offset = header.BaseOffset + record.OffsetDelta;
                    if (offset >= firstDirty && record.HasKey && !_map.TryPut(record.Key, offset))
                    {
                        return offset;
                    }
                }
            }
        }
        return candidate.UncleanableOffset;
    }

    /// <summary>How many segments from <paramref name="start"/> fit in one cleaned segment (at least one).</summary>
    private static int GroupSize(LogSegment[] segments, int start, int limit, long maxBytes)
    {
        var size = segments[start].Size;
        var count = 1;
        while (start + count < limit)
        {
            var next = segments[start + count];
            var end = segments[start + count + 1].BaseOffset;
            if (size + next.Size > maxBytes || end - segments[start].BaseOffset > int.MaxValue)
            {
                break;
            }
            size += next.Size;
            count++;
        }
        return count;
    }

    /// <summary>Writes the cleaned copy of <paramref name="group"/> and swaps it in; returns its size, or -1 when the swap was refused.</summary>
    private (long Written, long Removed) CleanGroup(
        PartitionLog log,
        LogSegment[] group,
        long groupEnd,
        LogConfig config,
        long endOffset,
        long deleteHorizonMs,
        HashSet<long> lastBatches,
        TransactionTracker transactions,
        CancellationToken cancellationToken)
    {
        var baseOffset = group[0].BaseOffset;
        var staging = Path.Combine(log.Directory, PartitionLog.CleaningDirectoryName(baseOffset, groupEnd));
        if (Directory.Exists(staging))
        {
            Directory.Delete(staging, recursive: true);
        }
        Directory.CreateDirectory(staging);
        long removed = 0;
        long written;
        try
        {
            var lastModified = DateTime.MinValue;
            using (var writer = new CleanedSegmentWriter(staging, baseOffset, config.IndexIntervalBytes))
            {
                foreach (var segment in group)
                {
                    var modified = File.GetLastWriteTimeUtc(segment.LogPath);
                    lastModified = modified > lastModified ? modified : lastModified;
                    var deletesExpired = new DateTimeOffset(modified).ToUnixTimeMilliseconds() < deleteHorizonMs;
                    using var cursor = segment.OpenCursor(0, segment.Size);
                    while (cursor.Next(verifyCrc: false, expectedBaseOffset: -1, out var memory) == BatchReadStatus.Batch)
                    {
                        var writtenBefore = writer.BytesWritten;
                        removed += CleanBatch(memory.Span, writer, endOffset, deletesExpired, lastBatches, transactions);
                        _throttle.Throttle(memory.Length + writer.BytesWritten - writtenBefore, cancellationToken);
                    }
                }
                writer.Complete(lastModified);
                written = writer.BytesWritten;
            }
            if (!log.ReplaceSegments(group, staging))
            {
                Directory.Delete(staging, recursive: true);
                return (-1, removed);
            }
        }
        catch
        {
            TryDelete(staging);
            throw;
        }
        return (written, removed);
    }

    /// <summary>Writes what survives of one batch; returns how many records were dropped.</summary>
    private int CleanBatch(
        ReadOnlySpan<byte> batch, CleanedSegmentWriter writer, long endOffset, bool deletesExpired, HashSet<long> lastBatches, TransactionTracker transactions)
    {
        var header = new RecordBatchHeader(batch);
        var producerId = header.ProducerId;
        if (header.IsControl)
        {
            // A COMMIT marker stays while its transaction has records left, and like a tombstone for
            // delete.retention.ms after. An ABORT marker stays for good: the partition's aborted-transaction index keeps
            // its entry, and a read_committed consumer given that entry drops the producer's batches until it reads
            // the marker.
            var hasData = transactions.OnMarker(producerId);
            if (hasData || !deletesExpired || header.BaseOffset >= endOffset || !IsCommitMarker(batch))
            {
                writer.Copy(batch);
                return 0;
            }
            return header.RecordCount;
        }
        var aborted = header.IsTransactional && transactions.IsAborted(producerId, header.BaseOffset);

        // The last batch of each producer stays (empty if need be), so its sequence survives a rebuild from the log.
        var keepHeader = header.HasProducerId && lastBatches.Contains(header.LastOffset);
        if (aborted)
        {
            if (keepHeader)
            {
                writer.WriteFiltered(batch, []);
            }
            return header.RecordCount;
        }
        var original = batch;
        if (!TryReadable(ref batch, header))
        {
            writer.Copy(original);
            MarkRetained(header, transactions);
            return 0;
        }
        _retained.Clear();
        var total = 0;
        var reader = new RecordReader(batch);
        while (reader.TryNext(out var record))
        {
            total++;
            if (ShouldRetain(record, header.BaseOffset + record.OffsetDelta, endOffset, deletesExpired))
            {
                _retained.Add((record.Start, record.Length));
            }
        }
        if (reader.Problem is not null || _retained.Count == total)
        {
            // A batch the cleaner cannot read is kept as it is rather than guessed at; a batch that loses nothing is
            // copied as it was written (compressed ones not recompressed).
            writer.Copy(original);
            if (reader.Problem is not null || total > 0)
            {
                MarkRetained(header, transactions);
            }
            return 0;
        }
        if (_retained.Count > 0 || keepHeader)
        {
            writer.WriteFiltered(batch, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_retained));
        }
        if (_retained.Count > 0)
        {
            MarkRetained(header, transactions);
        }
        return total - _retained.Count;
    }

    /// <summary>
    /// Lays a compressed batch out uncompressed so its records can be read (the retained ones are compressed again with
    /// the batch's codec when written); false when it does not decompress.
    /// </summary>
    private static bool TryReadable(ref ReadOnlySpan<byte> batch, in RecordBatchHeader header)
    {
        if (header.CompressionType == RecordCodec.None)
        {
            return true;
        }
        try
        {
            batch = BatchDecompressor.Decompress(batch);
            return true;
        }
        catch (InvalidDataException)
        {
            return false;
        }
    }

    private bool ShouldRetain(in RecordView record, long offset, long endOffset, bool deletesExpired)
    {
        if (offset >= endOffset)
        {
            // Past what the map covers: the next pass decides.
            return true;
        }
        if (!record.HasKey)
        {
            return false;
        }
        if (_map.Get(record.Key) > offset)
        {
            return false;
        }
        return record.HasValue || !deletesExpired;
    }

    private static void MarkRetained(in RecordBatchHeader header, TransactionTracker transactions)
    {
        if (header.IsTransactional)
        {
            transactions.OnDataRetained(header.ProducerId);
        }
    }

    private static bool IsCommitMarker(ReadOnlySpan<byte> batch)
    {
        var reader = new RecordReader(batch);
        return reader.TryNext(out var record)
            && record.Key.Length >= 4
            && BinaryPrimitives.ReadInt16BigEndian(record.Key[2..]) == (short)Transactions.ControlRecordType.Commit;
    }

    /// <summary>The timestamp of a segment's first batch (its first record's), or null when it is empty.</summary>
    private static long? FirstTimestamp(LogSegment segment)
    {
        Span<byte> header = stackalloc byte[RecordBatchHeader.Size];
        if (segment.Size < RecordBatchHeader.Size || segment.Read(header, 0) < RecordBatchHeader.Size)
        {
            return null;
        }
        return BinaryPrimitives.ReadInt64BigEndian(header[RecordBatchHeader.BaseTimestampPosition..]);
    }

    private static void TryDelete(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        catch (IOException)
        {
            // Removed on the next open.
        }
    }
}
