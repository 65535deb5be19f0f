using StreamingPipeline.Protocol;
using StreamingPipeline.Storage;

namespace StreamingPipeline.Broker.Log;

// The writer side: appends under the append lock, segment rolls, flushes and retention.
internal sealed partial class PartitionLog
{
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
        if (origin == AppendOrigin.Client && RecordCodec.FromConfigName(config.CompressionType) is var codec and >= 0)
        {
            // Outside the append lock: recompression is CPU work that must not hold up other appends.
            try
            {
                if (BatchRecompressor.Recompress(records.Span, codec) is { } recompressed)
                {
                    records = recompressed;
                    error = RecordBatchValidator.Validate(records.Span, config, origin, out batchCount, out recordCount, out message);
                    if (error != ErrorCode.None)
                    {
                        return LogAppendResult.Failure(error, message!, LogStartOffset);
                    }
                }
            }
            catch (InvalidDataException ex)
            {
                return LogAppendResult.Failure(ErrorCode.CorruptMessage, ex.Message, LogStartOffset);
            }
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
            var nowMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
            if (CheckAndAssignOffsets(guard, records.Span, firstOffset, new AppendContext(origin, transactionalId, batchCount), config, config.LogAppendTime ? nowMs : -1, out var nextOffset) is { } refused)
            {
                return refused;
            }
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
    /// Deletes whole closed segments that retention.ms or retention.bytes no longer keeps (only when cleanup.policy
    /// includes delete), oldest first, and advances the log start offset; the active segment is never deleted. Returns how many segments were deleted.
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
            var deletedUpTo = Volatile.Read(ref _logStartOffset);
            while (count < segments.Length - 1 && segments[count + 1].BaseOffset <= deletedUpTo)
            {
                count++;
            }
            if (config.Delete && config.RetentionMs >= 0)
            {
                var cutoff = nowMs - config.RetentionMs;
                while (count < segments.Length - 1 && RetentionTimestamp(segments[count]) < cutoff)
                {
                    count++;
                }
            }
            if (config.Delete && config.RetentionBytes >= 0)
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

    /// <summary>
    /// DeleteRecords: moves the log start offset up to <paramref name="offset"/> (-1 means the high watermark), durably
    /// before returning, and deletes the closed segments wholly below it. Returns the new log start offset (Kafka's
    /// low watermark); OFFSET_OUT_OF_RANGE when <paramref name="offset"/> is beyond the high watermark. An offset at or
    /// below the current log start offset changes nothing.
    /// </summary>
    public (ErrorCode Error, long LowWatermark) DeleteRecordsBefore(long offset)
    {
        lock (_appendLock)
        {
            if (_closed)
            {
                return (ErrorCode.UnknownTopicOrPartition, -1);
            }
            var highWatermark = _logEndOffset;
            if (offset == -1)
            {
                offset = highWatermark;
            }
            if (offset < 0 || offset > highWatermark)
            {
                return (ErrorCode.OffsetOutOfRange, -1);
            }
            var current = StartOffsetOf(_segments);
            if (offset <= current)
            {
                return (ErrorCode.None, current);
            }
            try
            {
                WriteLogStartOffset(_directory, offset);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                LogMessages.AppendFailed(_logger, ex, Topic, Partition);
                return (ErrorCode.KafkaStorageError, -1);
            }
            Volatile.Write(ref _logStartOffset, offset);
        }
        LogMessages.RecordsDeleted(_logger, Topic, Partition, offset);

        // Retention deletes the segments wholly below the new start (and whatever retention itself no longer keeps).
        ApplyRetention(_time.GetUtcNow().ToUnixTimeMilliseconds());
        return (ErrorCode.None, LogStartOffset);
    }

    /// <summary>
    /// Runs <paramref name="read"/> under the append lock, for a consistent view of state that appends change (the
    /// producer state behind DescribeProducers); it must be quick and must not append.
    /// </summary>
    internal TResult UnderAppendLock<TResult>(Func<IBatchAppendGuard?, TResult> read)
    {
        lock (_appendLock)
        {
            return read(_appendGuard);
        }
    }

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

    /// <summary>
    /// One pass over the batches: the guard, when there is one, judges each batch at the offset it would get, and the
    /// batch then gets that base offset, the leader epoch and (for LogAppendTime) the append time. Returns the refusal
    /// of the first batch the guard refuses (the batches before it are rewritten in the request's buffer, but nothing
    /// reaches the log), or null with <paramref name="nextOffset"/> the log end offset after the append.
    /// </summary>
    private LogAppendResult? CheckAndAssignOffsets(
        IBatchAppendGuard? guard, Span<byte> records, long firstOffset, in AppendContext context, LogConfig config, long logAppendTimeMs, out long nextOffset)
    {
        nextOffset = firstOffset;
        var position = 0;
        while (position < records.Length)
        {
            var header = new RecordBatchHeader(records[position..]);
            var totalSize = header.TotalSize;
            var lastOffsetDelta = header.LastOffsetDelta;
            var batch = records.Slice(position, totalSize);
            if (guard is not null && Refusal(guard, guard.Check(batch, nextOffset, context), context, config) is { } refused)
            {
                return refused;
            }
            RecordBatchHeader.WriteBaseOffset(batch, nextOffset);
            RecordBatchHeader.WritePartitionLeaderEpoch(batch, LeaderEpoch);
            if (logAppendTimeMs >= 0)
            {
                RecordBatchHeader.WriteLogAppendTime(batch, logAppendTimeMs);
            }
            nextOffset += lastOffsetDelta + 1L;
            position += totalSize;
        }
        return null;
    }

    /// <summary>The append's result when the guard's <paramref name="verdict"/> refuses a batch; null when it accepts it.</summary>
    private LogAppendResult? Refusal(IBatchAppendGuard guard, in AppendGuardVerdict verdict, in AppendContext context, LogConfig config)
    {
        switch (verdict.Outcome)
        {
            case AppendGuardOutcome.Accept:
                return null;
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
    }

    private LogSegment MaybeRoll(int appendBytes, long lastOffset, long nowMs, LogConfig config)
    {
        var active = _segments[^1];
        var size = active.Size;
        var full = size + appendBytes > config.SegmentBytes;
        var offsetsOverflow = lastOffset - active.BaseOffset > int.MaxValue;
        var old = active.FirstAppendTimeMs >= 0 && nowMs - active.FirstAppendTimeMs >= config.MaxSegmentMs;
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
}
