using System.Buffers;
using System.Buffers.Binary;
using StreamingPipeline.Protocol;

namespace StreamingPipeline.Broker.Log;

// The reader side: lock-free reads of published batches, waits for appends, timestamp lookups.
internal sealed partial class PartitionLog
{
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
        return RetryIfSegmentDeleted(
            (fetchOffset, maxBytes, maxOffsetExclusive, minOneBatch),
            static (log, read) => log.ReadOnce(read.fetchOffset, read.maxBytes, read.maxOffsetExclusive, read.minOneBatch),
            static log => LogReadResult.Failed(ErrorCode.UnknownTopicOrPartition, log.LogEndOffset, log.LogStartOffset, log.LogEndOffset));
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
        return RetryIfSegmentDeleted(timestamp, static (log, timestamp) => log.FindOffsetByTimestampOnce(timestamp), whenClosed: null);
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

    private LogReadResult ReadOnce(long fetchOffset, int maxBytes, long maxOffsetExclusive, bool minOneBatch)
    {
        var logEndOffset = LogEndOffset;
        var segments = Volatile.Read(ref _segments);
        var logStartOffset = StartOffsetOf(segments);
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
                    // Records below the log start offset (DeleteRecords) are gone even while their segment remains.
                    return (Math.Max(offset, LogStartOffset), found);
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

    /// <summary>
    /// Runs a lock-free read, and runs it again (up to three more times) when retention deleted a segment under it,
    /// which surfaces as <see cref="ObjectDisposedException"/>; a new attempt sees the new log start offset. Once the
    /// log is closed the read's result is <paramref name="whenClosed"/>'s, or the exception propagates when that is null.
    /// Static delegates and a struct state keep the hot read path free of allocations.
    /// </summary>
    private TResult RetryIfSegmentDeleted<TState, TResult>(TState state, Func<PartitionLog, TState, TResult> read, Func<PartitionLog, TResult>? whenClosed)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return read(this, state);
            }
            catch (ObjectDisposedException) when (_closed && whenClosed is not null)
            {
                return whenClosed(this);
            }
            catch (ObjectDisposedException) when (attempt < 3 && !_closed)
            {
                // Retention deleted the segment under the read; reading again sees the new log start offset.
            }
        }
    }
}
