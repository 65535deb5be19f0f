using System.Buffers.Binary;
using Microsoft.Extensions.Logging;

namespace StreamingPipeline.Broker.Log.Cleaner;

/// <summary>
/// Compacts one partition in one pass (Kafka's Cleaner): fills the <see cref="OffsetMap"/> with the latest offset of
/// every key in the dirty range (compressed batches decompressed, and their retained records compressed again with the
/// batch's codec, as Kafka does), then rewrites the cleanable segments from the log start, in groups that fit one
/// segment, keeping a record unless a later record has its key, it is a tombstone whose batch's delete horizon has
/// passed, it belongs to an aborted transaction, or it has no key. As in Kafka since KIP-534, the first pass that keeps
/// a tombstone (or a transaction marker that may go) stamps a delete horizon of now + delete.retention.ms into its
/// batch, so what is kept never depends on file times. Transaction markers go once their transaction has no batch left
/// and their horizon has passed; an aborted transaction's index entry goes (before the swap) once no batch of it is
/// left. Offsets never change. Never reads or touches the active segment or anything at or after the last stable
/// offset. Each group is swapped in with <see cref="PartitionLog.ReplaceSegments"/>; appends and reads go on meanwhile.
/// </summary>
internal sealed class PartitionCleaner
{
    private readonly OffsetMap _map;
    private readonly CleanerThrottle _throttle;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly List<(int Start, int Length)> _retained = [];
    private readonly List<long> _emptiedAborts = [];

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
                maxLagDue = FirstBatchTimestamp(segments[i]) is { } first && first >= 0 && first < nowMs - config.MaxCompactionLagMs;
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
        var horizons = new DeleteHorizons(nowMs, config.DeleteRetentionMs);
        long bytesRead = 0, bytesWritten = 0, removed = 0;
        var groups = 0;
        var index = 0;
        while (index < toClean)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var count = GroupSize(segments, index, toClean, config.SegmentBytes);
            var group = segments[index..(index + count)];
            var (written, groupRemoved) = CleanGroup(log, group, segments[index + count].BaseOffset, config, endOffset, horizons, lastBatches, transactions, cancellationToken);
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
        DeleteHorizons horizons,
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
        _emptiedAborts.Clear();
        try
        {
            var lastModified = DateTime.MinValue;
            using (var writer = new CleanedSegmentWriter(staging, baseOffset, config.IndexIntervalBytes))
            {
                foreach (var segment in group)
                {
                    // Kept for time-based retention of segments without timestamps; tombstones and markers are timed by
                    // the delete horizon in their batch.
                    var modified = File.GetLastWriteTimeUtc(segment.LogPath);
                    lastModified = modified > lastModified ? modified : lastModified;
                    using var cursor = segment.OpenCursor(0, segment.Size);
                    while (cursor.Next(verifyCrc: false, expectedBaseOffset: -1, out var memory) == BatchReadStatus.Batch)
                    {
                        var writtenBefore = writer.BytesWritten;
                        removed += CleanBatch(memory.Span, writer, endOffset, horizons, lastBatches, transactions);
                        _throttle.Throttle(memory.Length + writer.BytesWritten - writtenBefore, cancellationToken);
                    }
                }
                writer.Complete(lastModified);
                written = writer.BytesWritten;
            }

            // An aborted transaction with no batch left needs no index entry, and its marker may go in a later pass
            // only if no entry names it then: a read_committed reader given an entry drops the producer's batches
            // until it reads that marker. So the entries go first, durably, before the segments that still hold the
            // markers are replaced.
            if (_emptiedAborts.Count > 0)
            {
                log.RemoveAbortedTransactions(_emptiedAborts);
                _emptiedAborts.Clear();
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
        ReadOnlySpan<byte> batch, CleanedSegmentWriter writer, long endOffset, DeleteHorizons horizons, HashSet<long> lastBatches, TransactionTracker transactions)
    {
        var header = new RecordBatchHeader(batch);
        var producerId = header.ProducerId;
        if (header.IsControl)
        {
            return CleanMarker(batch, header, writer, endOffset, horizons, transactions);
        }
        var aborted = header.IsTransactional && transactions.OnDataBatch(producerId, header.BaseOffset);

        // The last batch of each producer stays (empty if need be), so its sequence survives a rebuild from the log.
        var keepHeader = header.HasProducerId && lastBatches.Contains(header.LastOffset);
        if (aborted)
        {
            if (keepHeader)
            {
                writer.WriteRetained(batch, [], null);
            }
            return header.RecordCount;
        }
        var original = batch;
        if (!TryReadable(ref batch, header))
        {
            writer.Copy(original);
            return 0;
        }
        _retained.Clear();
        var total = 0;
        var keepsTombstone = false;
        var tombstonesExpired = horizons.HasPassed(header.DeleteHorizonMs);
        var reader = new RecordReader(batch);
        while (reader.TryNext(out var record))
        {
            total++;
            if (ShouldRetain(record, header.BaseOffset + record.OffsetDelta, endOffset, tombstonesExpired))
            {
                _retained.Add((record.Start, record.Length));
                keepsTombstone |= !record.HasValue;
            }
        }
        var stampHorizon = keepsTombstone && !header.HasDeleteHorizon;
        if (reader.Problem is not null || (_retained.Count == total && !stampHorizon))
        {
            // A batch the cleaner cannot read is kept as it is rather than guessed at; a batch that loses nothing is
            // copied as it was written (compressed ones not recompressed).
            writer.Copy(original);
            return 0;
        }
        if (_retained.Count > 0 || keepHeader)
        {
            writer.WriteRetained(batch, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_retained), stampHorizon ? horizons.NewHorizonMs : null);
        }
        return total - _retained.Count;
    }

    /// <summary>
    /// A COMMIT or ABORT marker (Kafka's rule): kept while any batch of its transaction is left; once none is, its
    /// batch gets a delete horizon if it has none, and at the first pass after that horizon it goes. An ABORT marker
    /// whose transaction has no batch left also has its index entry removed before the swap.
    /// </summary>
    private int CleanMarker(
        ReadOnlySpan<byte> batch, in RecordBatchHeader header, CleanedSegmentWriter writer, long endOffset, DeleteHorizons horizons, TransactionTracker transactions)
    {
        var type = MarkerType(batch, header);
        var removable = transactions.OnMarker(header.ProducerId, type);
        if (!removable || header.BaseOffset >= endOffset)
        {
            writer.Copy(batch);
            return 0;
        }
        if (type == Transactions.ControlRecordType.Abort)
        {
            _emptiedAborts.Add(header.BaseOffset);
        }
        if (horizons.HasPassed(header.DeleteHorizonMs) || type is null)
        {
            return header.RecordCount;
        }
        if (header.HasDeleteHorizon)
        {
            writer.Copy(batch);
        }
        else
        {
            var reader = new RecordReader(batch);
            _retained.Clear();
            while (reader.TryNext(out var record))
            {
                _retained.Add((record.Start, record.Length));
            }
            writer.WriteRetained(batch, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_retained), horizons.NewHorizonMs);
        }
        return 0;
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

    private bool ShouldRetain(in RecordView record, long offset, long endOffset, bool tombstonesExpired)
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
        return record.HasValue || !tombstonesExpired;
    }

    /// <summary>
    /// The type of a control batch's marker: null for an emptied control batch, and an unknown type (kept) for a
    /// control record that is not a transaction marker.
    /// </summary>
    private static Transactions.ControlRecordType? MarkerType(ReadOnlySpan<byte> batch, in RecordBatchHeader header)
    {
        if (header.RecordCount == 0)
        {
            return null;
        }
        var reader = new RecordReader(batch);
        return reader.TryNext(out var record) && record.Key.Length >= 4
            ? (Transactions.ControlRecordType)BinaryPrimitives.ReadInt16BigEndian(record.Key[2..])
            : (Transactions.ControlRecordType)(-1);
    }

    /// <summary>
    /// The max timestamp of a segment's first batch, or null when it is empty: what Kafka times max.compaction.lag.ms
    /// by (the base timestamp may be a delete horizon).
    /// </summary>
    private static long? FirstBatchTimestamp(LogSegment segment)
    {
        Span<byte> header = stackalloc byte[RecordBatchHeader.Size];
        if (segment.Size < RecordBatchHeader.Size || segment.Read(header, 0) < RecordBatchHeader.Size)
        {
            return null;
        }
        return BinaryPrimitives.ReadInt64BigEndian(header[RecordBatchHeader.MaxTimestampPosition..]);
    }

    /// <summary>The clock of one pass: the horizon it stamps and whether a stamped one has passed.</summary>
    private readonly record struct DeleteHorizons(long NowMs, long DeleteRetentionMs)
    {
        /// <summary>The horizon this pass stamps into a batch that keeps a tombstone or a removable marker.</summary>
        public long NewHorizonMs => NowMs > long.MaxValue - DeleteRetentionMs ? long.MaxValue : NowMs + DeleteRetentionMs;

        /// <summary>True when a batch's stamped horizon has passed (Kafka: removable once horizon &lt;= now).</summary>
        public bool HasPassed(long? horizonMs) => horizonMs is { } horizon && horizon <= NowMs;
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
