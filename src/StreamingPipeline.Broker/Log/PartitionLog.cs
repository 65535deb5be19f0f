using System.Buffers;
using System.Buffers.Binary;
using Microsoft.Extensions.Logging;
using StreamingPipeline.Protocol;
using StreamingPipeline.Storage;

namespace StreamingPipeline.Broker.Log;

/// <summary>
/// The log of one topic partition: segments of v2 record batches in one directory, stored as the producers sent them
/// with only the base offset, the partition leader epoch and (for LogAppendTime topics) the max timestamp rewritten.
/// </summary>
/// <remarks>
/// <para>
/// Threading model: appends, segment rolls, retention and config-driven flushes are serialised by one append lock, so
/// the log has a single writer at a time. Reads (<see cref="Read"/>, <see cref="ReadBatches"/>,
/// <see cref="FindOffsetByTimestamp"/>) take no lock and run concurrently with appends: they read the published log
/// end offset first and then only bytes the writer has already published. Fsyncs other than flush.messages run
/// outside the lock. An attached <see cref="IBatchAppendGuard"/> (producer state) is called under the append lock; it
/// decides the last stable offset, published after the log end offset so it never runs ahead of it.
/// </para>
/// <para>
/// Durability: by default (flush.messages and flush.ms unset) data is left to the OS page cache, as Kafka does, so a
/// killed process loses nothing acknowledged but a power loss can; flush.messages=1 fsyncs before every append returns;
/// flush.ms fsyncs periodically (driven by <see cref="LogManager"/>). A rolled segment is always fsynced in the
/// background. On open, the active segment's tail is checked from its last good index entry and a torn or corrupt
/// tail is truncated.
/// </para>
/// </remarks>
public sealed class PartitionLog : IDisposable
{
    /// <summary>The partition leader epoch stamped on every batch: a single node is leader in epoch 0 for ever.</summary>
    public const int LeaderEpoch = 0;

    /// <summary>
    /// The most bytes one read returns (besides a single larger first batch under minOneBatch): reads copy into a
    /// pooled buffer, so a client asking for gigabytes gets them over several fetches instead of in one allocation.
    /// </summary>
    public const int MaxReadBytes = 32 * 1024 * 1024;

    private readonly string _directory;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _appendLock = new();
    private LogConfig _config;
    private LogSegment[] _segments;
    private long _logEndOffset;
    private long _lastStableOffset;
    private IBatchAppendGuard? _appendGuard;
    private bool _guardFailed;
    private long _unflushedRecords;
    private long _lastFlushMs;
    private TaskCompletionSource? _appendSignal;
    private volatile bool _closed;

    private PartitionLog(string directory, string topic, int partition, LogConfig config, TimeProvider time, ILogger logger, LogSegment[] segments, long logEndOffset)
    {
        _directory = directory;
        Topic = topic;
        Partition = partition;
        _config = config;
        _time = time;
        _logger = logger;
        _segments = segments;
        _logEndOffset = logEndOffset;
        _lastStableOffset = logEndOffset;
        _lastFlushMs = time.GetUtcNow().ToUnixTimeMilliseconds();
    }

    /// <summary>The topic this partition belongs to.</summary>
    public string Topic { get; }

    /// <summary>The partition number.</summary>
    public int Partition { get; }

    /// <summary>The directory holding the segment files.</summary>
    public string Directory => _directory;

    /// <summary>The settings in force; replacing them takes effect from the next append, roll or retention run.</summary>
    public LogConfig Config
    {
        get => Volatile.Read(ref _config);
        set => Volatile.Write(ref _config, value ?? throw new ArgumentNullException(nameof(value)));
    }

    /// <summary>Producer-state checks run on every append (see <see cref="IBatchAppendGuard"/>); null runs none.</summary>
    public IBatchAppendGuard? AppendGuard => Volatile.Read(ref _appendGuard);

    /// <summary>The first offset still in the log (the base offset of the oldest segment).</summary>
    public long LogStartOffset => Volatile.Read(ref _segments)[0].BaseOffset;

    /// <summary>The offset the next appended record will get.</summary>
    public long LogEndOffset => Volatile.Read(ref _logEndOffset);

    /// <summary>On a single node every appended record is committed: the high watermark is the log end offset.</summary>
    public long HighWatermark => LogEndOffset;

    /// <summary>
    /// The last stable offset: below it every transaction is decided, so read_committed consumers may read up to it.
    /// The high watermark when no <see cref="AppendGuard"/> holds it back.
    /// </summary>
    public long LastStableOffset => Volatile.Read(ref _lastStableOffset);

    /// <summary>Bytes of record batches across all segments.</summary>
    public long SizeInBytes
    {
        get
        {
            var total = 0L;
            foreach (var segment in Volatile.Read(ref _segments))
            {
                total += segment.Size;
            }
            return total;
        }
    }

    /// <summary>How many segments the log has, the active one included.</summary>
    public int SegmentCount => Volatile.Read(ref _segments).Length;

    /// <summary>
    /// Opens the partition stored in <paramref name="directory"/> (the partition's own directory, created if missing),
    /// recovering it: stray files are removed, closed segments' indexes are checked and rebuilt if needed, and the
    /// active segment's tail is validated and truncated at the first torn or corrupt batch.
    /// </summary>
    public static PartitionLog Open(string directory, string topic, int partition, LogConfig config, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        System.IO.Directory.CreateDirectory(directory);
        var baseOffsets = FindSegments(directory, logger);
        var nowMs = time.GetUtcNow().ToUnixTimeMilliseconds();
        var segments = new List<LogSegment>(Math.Max(1, baseOffsets.Count));
        long logEndOffset;
        try
        {
            if (baseOffsets.Count == 0)
            {
                segments.Add(LogSegment.Create(directory, 0));
                DirectorySync.Flush(directory);
                logEndOffset = 0;
            }
            else
            {
                for (var i = 0; i < baseOffsets.Count - 1; i++)
                {
                    segments.Add(LogSegment.OpenSealed(directory, baseOffsets[i], baseOffsets[i + 1], config.IndexIntervalBytes, logger));
                }
                segments.Add(LogSegment.OpenActive(directory, baseOffsets[^1], config.IndexIntervalBytes, nowMs, logger, out logEndOffset));
            }
        }
        catch
        {
            foreach (var segment in segments)
            {
                segment.Dispose();
            }
            throw;
        }
        var log = new PartitionLog(directory, topic, partition, config, time, logger, [.. segments], logEndOffset);
        LogMessages.PartitionOpened(logger, topic, partition, segments.Count, log.LogStartOffset, logEndOffset);
        return log;
    }

    /// <summary>
    /// Attaches the producer-state guard, once, before the log serves appends, and publishes the last stable offset
    /// it computes for the recovered log.
    /// </summary>
    public void AttachAppendGuard(IBatchAppendGuard guard)
    {
        ArgumentNullException.ThrowIfNull(guard);
        lock (_appendLock)
        {
            if (_appendGuard is not null)
            {
                throw new InvalidOperationException($"{Topic}-{Partition} already has an append guard.");
            }
            Volatile.Write(ref _appendGuard, guard);
            Volatile.Write(ref _lastStableOffset, guard.OnHighWatermarkAdvanced(_logEndOffset));
        }
    }

    /// <summary>
    /// Appends record batches: validates every batch (whole v2 batches, CRC-32C, size limits), runs the
    /// <see cref="AppendGuard"/>, assigns consecutive offsets by rewriting each batch's base offset in
    /// <paramref name="records"/>, writes the bytes in one write, and applies the flush policy. All or nothing: on any
    /// error nothing is written. The high watermark covers the records when this returns.
    /// </summary>
    /// <param name="records">One or more v2 batches; modified in place (base offset, leader epoch, LogAppendTime).</param>
    /// <param name="origin">Client for Produce requests; Coordinator for broker-built batches such as transaction markers.</param>
    /// <param name="transactionalId">The Produce request's transactional id, which the guard checks transactional batches against.</param>
    public LogAppendResult Append(Memory<byte> records, AppendOrigin origin = AppendOrigin.Client, string? transactionalId = null)
    {
        var config = Config;
        var error = RecordBatchValidator.Validate(records.Span, config, origin, out var batchCount, out var recordCount, out var message);
        if (error != ErrorCode.None)
        {
            return LogAppendResult.Failure(error, message!, LogStartOffset);
        }
        lock (_appendLock)
        {
            if (_closed)
            {
                return LogAppendResult.Failure(ErrorCode.UnknownTopicOrPartition, $"{Topic}-{Partition} is closed.", LogStartOffset);
            }
            if (_guardFailed)
            {
                return LogAppendResult.Failure(ErrorCode.KafkaStorageError, $"The producer state of {Topic}-{Partition} failed; the partition must be reopened.", LogStartOffset);
            }
            var firstOffset = _logEndOffset;
            var guard = _appendGuard;

            // Seam: per-partition producer state (idempotence, transactions) decides before anything is written.
            if (guard is not null
                && CheckWithGuard(guard, records.Span, firstOffset, new AppendContext(origin, transactionalId, batchCount), config) is { } refused)
            {
                return refused;
            }

            var nowMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
            var nextOffset = AssignOffsets(records.Span, firstOffset, config.LogAppendTime ? nowMs : -1);
            var lastOffset = nextOffset - 1;
            try
            {
                var segment = MaybeRoll(records.Length, lastOffset, nowMs, config);
                segment.Append(records.Span, config.IndexIntervalBytes, nowMs);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                guard?.OnAppendRejected();
                LogMessages.AppendFailed(_logger, ex, Topic, Partition);
                return LogAppendResult.Failure(ErrorCode.KafkaStorageError, $"Writing to {Topic}-{Partition} failed: {ex.Message}", LogStartOffset);
            }

            var guardError = guard is null ? null : NotifyAppended(guard, records.Span, origin);
            Volatile.Write(ref _logEndOffset, nextOffset);
            if (guardError is null)
            {
                guardError = PublishLastStableOffset(guard, nextOffset);
            }
            _unflushedRecords += recordCount;
            if (_unflushedRecords >= config.FlushMessages)
            {
                FlushActiveDataUnderLock();
            }
            SignalAppend();
            if (guardError is not null)
            {
                // The batches are in the log but the producer state missed them: refuse appends until a reopen
                // rebuilds it from the log, rather than judge later batches against wrong state.
                _guardFailed = true;
                LogMessages.AppendFailed(_logger, guardError, Topic, Partition);
                return LogAppendResult.Failure(ErrorCode.KafkaStorageError, $"Recording the append to {Topic}-{Partition} failed: {guardError.Message}", LogStartOffset);
            }
            return new LogAppendResult(ErrorCode.None, firstOffset, lastOffset, config.LogAppendTime ? nowMs : -1, LogStartOffset, null);
        }
    }

    /// <summary>
    /// Reads whole batches starting with the one that contains <paramref name="fetchOffset"/>, keeping only batches
    /// whose base offset is below <paramref name="maxOffsetExclusive"/> (the high watermark, or the last stable offset
    /// for read_committed), at most <paramref name="maxBytes"/> in total, except that with
    /// <paramref name="minOneBatch"/> the first batch is returned whole even if larger (KIP-74). A read returns data
    /// from one segment, and at most <see cref="MaxReadBytes"/>; the next read continues from there. OFFSET_OUT_OF_RANGE when
    /// <paramref name="fetchOffset"/> is below the log start offset or above the log end offset; empty when it equals
    /// the log end offset.
    /// </summary>
    public LogReadResult Read(long fetchOffset, int maxBytes, long maxOffsetExclusive, bool minOneBatch)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return ReadOnce(fetchOffset, maxBytes, maxOffsetExclusive, minOneBatch);
            }
            catch (ObjectDisposedException) when (_closed)
            {
                return LogReadResult.Failed(ErrorCode.UnknownTopicOrPartition, LogEndOffset, LogStartOffset, LogEndOffset);
            }
            catch (ObjectDisposedException) when (attempt < 3)
            {
                // Retention deleted the segment under the read; reading again sees the new log start offset.
            }
        }
    }

    /// <summary>
    /// Completes when <see cref="LogEndOffset"/> is greater than <paramref name="offset"/>, when the log is closed (the
    /// caller re-checks), or cancels with <paramref name="cancellationToken"/>. Waiters share one signal that each
    /// append completes, so many waiting fetches cost no polling.
    /// </summary>
    public ValueTask WaitForAppendAsync(long offset, CancellationToken cancellationToken)
    {
        if (LogEndOffset > offset || _closed)
        {
            return ValueTask.CompletedTask;
        }
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }
        return WaitForAppendSlowAsync(offset, cancellationToken);
    }

    /// <summary>
    /// The first record whose timestamp is at least <paramref name="timestamp"/>, with that timestamp (ListOffsets by
    /// timestamp), or null when no record is that recent. For a compressed CreateTime batch the answer is the batch's
    /// base offset and max timestamp, since the broker does not decompress.
    /// </summary>
    public (long Offset, long Timestamp)? FindOffsetByTimestamp(long timestamp)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return FindOffsetByTimestampOnce(timestamp);
            }
            catch (ObjectDisposedException) when (attempt < 3 && !_closed)
            {
                // A segment was deleted by retention meanwhile; search again.
            }
        }
    }

    /// <summary>
    /// Enumerates the batches from the one containing <paramref name="fromOffset"/> (or the first after it) up to the
    /// log end offset at the start of the enumeration, for rebuilding state such as producer state after a restart.
    /// Each batch's memory is valid only until the enumerator moves on. Deleting the segment being read (retention)
    /// makes the enumeration throw <see cref="ObjectDisposedException"/>.
    /// </summary>
    public IEnumerable<(long BaseOffset, ReadOnlyMemory<byte> Batch)> ReadBatches(long fromOffset)
    {
        var logEndOffset = LogEndOffset;
        var segments = Volatile.Read(ref _segments);
        for (var index = FindSegmentIndex(segments, fromOffset); index < segments.Length; index++)
        {
            var segment = segments[index];
            var size = segment.Size;
            if (segment.FindBatch(fromOffset, size) is not { } first)
            {
                continue;
            }
            using var cursor = segment.OpenCursor(first.Position, size);
            while (cursor.Next(verifyCrc: false, expectedBaseOffset: -1, out var batch) == BatchReadStatus.Batch)
            {
                var baseOffset = BinaryPrimitives.ReadInt64BigEndian(batch.Span);
                if (baseOffset >= logEndOffset)
                {
                    yield break;
                }
                yield return (baseOffset, batch);
            }
        }
    }

    /// <summary>
    /// Fsyncs every segment written since its last flush, data and indexes. Runs outside the append lock, so appends
    /// continue meanwhile.
    /// </summary>
    public void Flush()
    {
        LogSegment[] segments;
        lock (_appendLock)
        {
            if (_closed)
            {
                return;
            }
            segments = _segments;
            _unflushedRecords = 0;
            Volatile.Write(ref _lastFlushMs, _time.GetUtcNow().ToUnixTimeMilliseconds());
        }
        foreach (var segment in segments)
        {
            FlushSegment(segment);
        }
    }

    /// <summary>
    /// Deletes whole closed segments that retention.ms or retention.bytes no longer keeps, oldest first, and advances
    /// the log start offset; the active segment is never deleted. Returns how many segments were deleted.
    /// </summary>
    public int ApplyRetention(long nowMs)
    {
        LogSegment[] deleted;
        long logStartOffset;
        lock (_appendLock)
        {
            if (_closed)
            {
                return 0;
            }
            var config = Config;
            var segments = _segments;
            var count = 0;
            if (config.RetentionMs >= 0)
            {
                var cutoff = nowMs - config.RetentionMs;
                while (count < segments.Length - 1 && RetentionTimestamp(segments[count]) < cutoff)
                {
                    count++;
                }
            }
            if (config.RetentionBytes >= 0)
            {
                var excess = -config.RetentionBytes;
                for (var i = count; i < segments.Length; i++)
                {
                    excess += segments[i].Size;
                }
                while (count < segments.Length - 1 && excess - segments[count].Size >= 0)
                {
                    excess -= segments[count].Size;
                    count++;
                }
            }
            if (count > 0)
            {
                Volatile.Write(ref _segments, segments[count..]);
            }
            deleted = segments[..count];
            logStartOffset = _segments[0].BaseOffset;
            if (_appendGuard is { } guard)
            {
                try
                {
                    guard.OnMaintenance(logStartOffset);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    LogMessages.MaintenanceFailed(_logger, ex, Topic, Partition);
                }
            }
        }
        if (deleted.Length == 0)
        {
            return 0;
        }
        foreach (var segment in deleted)
        {
            try
            {
                segment.Delete();
            }
            catch (IOException ex)
            {
                LogMessages.DeleteFailed(_logger, ex, segment.LogPath);
            }
        }
        LogMessages.SegmentsDeleted(_logger, deleted.Length, Topic, Partition, logStartOffset);
        return deleted.Length;
    }

    /// <summary>Flushes, then closes the files. Appends afterwards fail with UNKNOWN_TOPIC_OR_PARTITION; waiters are released.</summary>
    public void Dispose() => Close(flush: true);

    /// <summary>Records appended since the last flush.</summary>
    internal long UnflushedRecords => Interlocked.Read(ref _unflushedRecords);

    /// <summary>Flushes if flush.ms has passed since the last flush and something was appended since.</summary>
    internal void FlushIfDue(long nowMs)
    {
        var flushMs = Config.FlushMs;
        if (flushMs == long.MaxValue || Interlocked.Read(ref _unflushedRecords) == 0)
        {
            return;
        }
        if (nowMs - Volatile.Read(ref _lastFlushMs) >= flushMs)
        {
            Flush();
        }
    }

    /// <summary>Closes the files, fsyncing them first when <paramref name="flush"/> (not when the files are about to be deleted).</summary>
    internal void Close(bool flush)
    {
        LogSegment[] segments;
        lock (_appendLock)
        {
            if (_closed)
            {
                return;
            }
            _closed = true;
            segments = _segments;
            if (_appendGuard is { } guard)
            {
                try
                {
                    guard.OnClose(clean: flush && !_guardFailed);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // The state is rebuilt from the log on the next open.
                    LogMessages.MaintenanceFailed(_logger, ex, Topic, Partition);
                }
            }
        }
        foreach (var segment in segments)
        {
            if (flush)
            {
                FlushSegment(segment);
            }
            segment.Dispose();
        }
        SignalAppend();
    }

    private static List<long> FindSegments(string directory, ILogger logger)
    {
        var baseOffsets = new List<long>();
        var strays = new List<(string Path, string Reason)>();
        foreach (var path in System.IO.Directory.EnumerateFiles(directory))
        {
            var name = Path.GetFileName(path);
            if (LogSegment.TryParseBaseOffset(name, out var baseOffset))
            {
                baseOffsets.Add(baseOffset);
            }
        }
        var known = new HashSet<long>(baseOffsets);
        foreach (var path in System.IO.Directory.EnumerateFiles(directory))
        {
            var name = Path.GetFileName(path);
            var isIndex = name.EndsWith(LogSegment.IndexSuffix, StringComparison.Ordinal)
                || name.EndsWith(LogSegment.TimeIndexSuffix, StringComparison.Ordinal);
            if (isIndex
                && (!long.TryParse(name.AsSpan(0, Math.Min(20, name.Length)), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var indexBase)
                    || !known.Contains(indexBase)))
            {
                strays.Add((path, "an index without its segment"));
            }
        }
        foreach (var (path, reason) in strays)
        {
            LogMessages.RemovingStrayFile(logger, path, reason);
            File.Delete(path);
        }
        baseOffsets.Sort();
        return baseOffsets;
    }

    private static int FindSegmentIndex(LogSegment[] segments, long offset)
    {
        int low = 0, high = segments.Length - 1, found = 0;
        while (low <= high)
        {
            var middle = (low + high) >>> 1;
            if (segments[middle].BaseOffset <= offset)
            {
                found = middle;
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }
        return found;
    }

    private static long AssignOffsets(Span<byte> records, long firstOffset, long logAppendTimeMs)
    {
        var nextOffset = firstOffset;
        var position = 0;
        while (position < records.Length)
        {
            var batch = records[position..];
            var header = new RecordBatchHeader(batch);
            var totalSize = header.TotalSize;
            var lastOffsetDelta = header.LastOffsetDelta;
            batch = batch[..totalSize];
            RecordBatchHeader.WriteBaseOffset(batch, nextOffset);
            RecordBatchHeader.WritePartitionLeaderEpoch(batch, LeaderEpoch);
            if (logAppendTimeMs >= 0)
            {
                RecordBatchHeader.WriteLogAppendTime(batch, logAppendTimeMs);
            }
            nextOffset += lastOffsetDelta + 1L;
            position += totalSize;
        }
        return nextOffset;
    }

    /// <summary>Tells the guard about every written batch; returns the I/O failure that stopped it, if any.</summary>
    private static Exception? NotifyAppended(IBatchAppendGuard guard, ReadOnlySpan<byte> records, AppendOrigin origin)
    {
        var position = 0;
        try
        {
            while (position < records.Length)
            {
                var totalSize = new RecordBatchHeader(records[position..]).TotalSize;
                guard.OnAppended(records.Slice(position, totalSize), origin);
                position += totalSize;
            }
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return ex;
        }
    }

    /// <summary>Publishes the last stable offset after the log end offset moved; returns the guard's I/O failure, if any.</summary>
    private Exception? PublishLastStableOffset(IBatchAppendGuard? guard, long highWatermark)
    {
        if (guard is null)
        {
            Volatile.Write(ref _lastStableOffset, highWatermark);
            return null;
        }
        try
        {
            Volatile.Write(ref _lastStableOffset, Math.Min(guard.OnHighWatermarkAdvanced(highWatermark), highWatermark));
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return ex;
        }
    }

    private static long RetentionTimestamp(LogSegment segment)
    {
        var maxTimestamp = segment.MaxTimestamp;
        return maxTimestamp >= 0 ? maxTimestamp : segment.LastModifiedMs();
    }

    private LogAppendResult? CheckWithGuard(IBatchAppendGuard guard, ReadOnlySpan<byte> records, long firstOffset, in AppendContext context, LogConfig config)
    {
        var position = 0;
        var offset = firstOffset;
        while (position < records.Length)
        {
            var header = new RecordBatchHeader(records[position..]);
            var verdict = guard.Check(records.Slice(position, header.TotalSize), offset, context);
            switch (verdict.Outcome)
            {
                case AppendGuardOutcome.Accept:
                    break;
                case AppendGuardOutcome.Duplicate when context.BatchCount == 1:
                    guard.OnAppendRejected();
                    return new LogAppendResult(
                        ErrorCode.None,
                        verdict.DuplicateBaseOffset,
                        verdict.DuplicateLastOffset,
                        config.LogAppendTime ? verdict.DuplicateLogAppendTimeMs : -1,
                        LogStartOffset,
                        null);
                case AppendGuardOutcome.Duplicate:
                    guard.OnAppendRejected();
                    return LogAppendResult.Failure(ErrorCode.DuplicateSequenceNumber, "A batch of a multi-batch append is a duplicate.", LogStartOffset);
                default:
                    guard.OnAppendRejected();
                    var error = verdict.Error == ErrorCode.None ? ErrorCode.UnknownServerError : verdict.Error;
                    return LogAppendResult.Failure(error, verdict.ErrorMessage ?? $"The append was refused: {error}.", LogStartOffset);
            }
            offset += header.LastOffsetDelta + 1L;
            position += header.TotalSize;
        }
        return null;
    }

    private LogSegment MaybeRoll(int appendBytes, long lastOffset, long nowMs, LogConfig config)
    {
        var active = _segments[^1];
        var size = active.Size;
        var full = size + appendBytes > config.SegmentBytes;
        var offsetsOverflow = lastOffset - active.BaseOffset > int.MaxValue;
        var old = active.FirstAppendTimeMs >= 0 && nowMs - active.FirstAppendTimeMs >= config.SegmentMs;
        if (size == 0 || !(full || offsetsOverflow || old))
        {
            return active;
        }
        active.Seal();
        var created = LogSegment.Create(_directory, _logEndOffset);
        Volatile.Write(ref _segments, [.. _segments, created]);
        LogMessages.SegmentRolled(_logger, Topic, Partition, created.BaseOffset);
        if (_appendGuard is { } guard && !_guardFailed)
        {
            try
            {
                guard.OnSegmentRolled();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // A checkpoint only shortens recovery; without it the state is replayed from an older one.
                LogMessages.MaintenanceFailed(_logger, ex, Topic, Partition);
            }
        }

        // Like Kafka, a rolled segment is fsynced at once but off the append path.
        _ = Task.Run(() =>
        {
            FlushSegment(active);
            DirectorySync.Flush(_directory);
        });
        return created;
    }

    private void FlushActiveDataUnderLock()
    {
        var active = _segments[^1];
        try
        {
            active.FlushData();
            _unflushedRecords = 0;
            Volatile.Write(ref _lastFlushMs, _time.GetUtcNow().ToUnixTimeMilliseconds());
        }
        catch (IOException ex)
        {
            LogMessages.FlushFailed(_logger, ex, active.LogPath);
        }
    }

    private void FlushSegment(LogSegment segment)
    {
        try
        {
            segment.Flush();
        }
        catch (ObjectDisposedException)
        {
            // Deleted by retention or closed meanwhile: nothing left to make durable.
        }
        catch (IOException ex)
        {
            LogMessages.FlushFailed(_logger, ex, segment.LogPath);
        }
    }

    private LogReadResult ReadOnce(long fetchOffset, int maxBytes, long maxOffsetExclusive, bool minOneBatch)
    {
        var logEndOffset = LogEndOffset;
        var segments = Volatile.Read(ref _segments);
        var logStartOffset = segments[0].BaseOffset;
        if (_closed)
        {
            return LogReadResult.Failed(ErrorCode.UnknownTopicOrPartition, logEndOffset, logStartOffset, logEndOffset);
        }
        if (fetchOffset < logStartOffset || fetchOffset > logEndOffset)
        {
            return LogReadResult.Failed(ErrorCode.OffsetOutOfRange, logEndOffset, logStartOffset, logEndOffset);
        }
        var limit = Math.Min(maxOffsetExclusive, logEndOffset);
        var empty = LogReadResult.Failed(ErrorCode.None, logEndOffset, logStartOffset, logEndOffset);
        if (fetchOffset >= limit)
        {
            return empty;
        }
        for (var index = FindSegmentIndex(segments, fetchOffset); index < segments.Length; index++)
        {
            var segment = segments[index];
            var size = segment.Size;
            if (segment.FindBatch(fetchOffset, size) is not { } first)
            {
                continue;
            }
            if (first.BaseOffset >= limit)
            {
                return empty;
            }
            var available = size - first.Position;
            var toRead = (int)Math.Min(Math.Clamp(maxBytes, 0, MaxReadBytes), available);
            if (first.Size > toRead)
            {
                if (!minOneBatch)
                {
                    return empty;
                }
                toRead = first.Size;
            }
            var buffer = ArrayPool<byte>.Shared.Rent(toRead);
            try
            {
                var read = segment.Read(buffer.AsSpan(0, toRead), first.Position);
                var length = WholeBatchesBelow(buffer.AsSpan(0, read), limit);
                if (length == 0)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    return empty;
                }
                return new LogReadResult(ErrorCode.None, buffer, length, logEndOffset, logStartOffset, logEndOffset);
            }
            catch
            {
                ArrayPool<byte>.Shared.Return(buffer);
                throw;
            }
        }
        return empty;
    }

    /// <summary>The length of the prefix of <paramref name="bytes"/> made of whole batches with base offsets below <paramref name="limit"/>.</summary>
    private static int WholeBatchesBelow(ReadOnlySpan<byte> bytes, long limit)
    {
        var length = 0;
        while (length + RecordBatchHeader.LogOverhead <= bytes.Length)
        {
            var baseOffset = BinaryPrimitives.ReadInt64BigEndian(bytes[length..]);
            var totalSize = BinaryPrimitives.ReadInt32BigEndian(bytes[(length + RecordBatchHeader.BatchLengthPosition)..]) + RecordBatchHeader.LogOverhead;
            if (baseOffset >= limit || totalSize < RecordBatchHeader.Size || length + totalSize > bytes.Length)
            {
                break;
            }
            length += totalSize;
        }
        return length;
    }

    private (long Offset, long Timestamp)? FindOffsetByTimestampOnce(long timestamp)
    {
        var logEndOffset = LogEndOffset;
        foreach (var segment in Volatile.Read(ref _segments))
        {
            if (segment.MaxTimestamp < timestamp)
            {
                continue;
            }
            var size = segment.Size;
            using var cursor = segment.OpenCursor(segment.LookupPositionForTimestamp(timestamp), size);
            while (cursor.Next(verifyCrc: false, expectedBaseOffset: -1, out var batch) == BatchReadStatus.Batch)
            {
                var span = batch.Span;
                if (BinaryPrimitives.ReadInt64BigEndian(span) >= logEndOffset)
                {
                    return null;
                }
                if (RecordTimestampSearch.TryFindFirstAtOrAfter(span, timestamp, out var offset, out var found))
                {
                    return (offset, found);
                }
            }
        }
        return null;
    }

    private async ValueTask WaitForAppendSlowAsync(long offset, CancellationToken cancellationToken)
    {
        while (true)
        {
            var signal = Volatile.Read(ref _appendSignal);
            if (signal is null)
            {
                var created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                signal = Interlocked.CompareExchange(ref _appendSignal, created, null) ?? created;
            }

            // Checked after the signal is registered: an append that lands in between completes this signal.
            if (LogEndOffset > offset || _closed)
            {
                return;
            }
            await signal.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private void SignalAppend() => Interlocked.Exchange(ref _appendSignal, null)?.TrySetResult();
}
