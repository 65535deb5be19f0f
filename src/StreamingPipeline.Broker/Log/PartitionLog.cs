using Microsoft.Extensions.Logging;

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
/// <para>
/// Layout: this file holds the shared state; <c>PartitionLog.Open.cs</c> opening and recovery,
/// <c>PartitionLog.Writer.cs</c> everything under the append lock (appends, rolls, flushes, retention) and
/// <c>PartitionLog.Reader.cs</c> the lock-free reads.
/// </para>
/// </remarks>
internal sealed partial class PartitionLog : IDisposable
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
    private long _logStartOffset;
    private long _lastStableOffset;
    private IBatchAppendGuard? _appendGuard;
    private bool _guardFailed;
    private long _unflushedRecords;
    private long _lastFlushMs;
    private TaskCompletionSource? _appendSignal;
    private volatile bool _closed;

    private PartitionLog(string directory, string topic, int partition, LogConfig config, TimeProvider time, ILogger logger, LogSegment[] segments, long logEndOffset, long logStartOffset)
    {
        _logStartOffset = logStartOffset;
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

    /// <summary>
    /// The first offset still in the log: the base offset of the oldest segment, or the offset DeleteRecords moved it
    /// to (<see cref="DeleteRecordsBefore"/>) when that is later.
    /// </summary>
    public long LogStartOffset => StartOffsetOf(Volatile.Read(ref _segments));

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

    /// <summary>Flushes, then closes the files. Appends afterwards fail with UNKNOWN_TOPIC_OR_PARTITION; waiters are released.</summary>
    public void Dispose() => Close(flush: true);

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

    private long StartOffsetOf(LogSegment[] segments) => Math.Max(Volatile.Read(ref _logStartOffset), segments[0].BaseOffset);

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

    private void SignalAppend() => Interlocked.Exchange(ref _appendSignal, null)?.TrySetResult();
}
