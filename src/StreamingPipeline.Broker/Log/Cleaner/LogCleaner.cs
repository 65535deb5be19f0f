using Microsoft.Extensions.Logging;

namespace StreamingPipeline.Broker.Log.Cleaner;

/// <summary>
/// The broker's background log cleaner (Kafka's LogCleaner with one cleaner thread): in rounds, it assesses every
/// partition of a compacted topic with its current config and gives each one that is due one
/// <see cref="PartitionCleaner"/> pass, dirtiest first; when a round finds nothing due it sleeps for
/// <see cref="LogCleanerOptions.Backoff"/>. The offset map is allocated once, on the first pass, at the configured size,
/// and reused. The cleaner's reads and writes go through one <see cref="CleanerThrottle"/>
/// (<see cref="LogCleanerOptions.IoMaxBytesPerSecond"/>). Tests and tools can ask for a round and await it with <see cref="RunRoundAsync"/>.
/// </summary>
/// <remarks>
/// Threading: one loop on a thread of its own (its passes block on file I/O and on the throttle, which must not hold
/// a thread-pool thread the broker's network needs) runs every pass, so at most one partition is being cleaned at any time. Requests from other
/// threads are queued under a lock and all answered by the next round.
/// </remarks>
internal sealed class LogCleaner : IAsyncDisposable
{
    /// <summary>The name of the cleaner's thread (also its name for the OS, as tools like top show it).</summary>
    public const string ThreadName = "log-cleaner";

    private readonly LogManager _logs;
    private readonly LogCleanerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _requestsLock = new();
    private readonly Dictionary<PartitionLog, long> _checkpoints = [];
    private List<TaskCompletionSource<LogCleaningRound>> _requests = [];
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CleanerThrottle _throttle;
    private PartitionCleaner? _cleaner;
    private long _mapBytes;
    private Task _loop = Task.CompletedTask;
    private long _bytesRead;
    private long _passes;
    private long _throttledTicks;
    private double _ioRate;
    private long _backoffTicks;
    private long _dedupeBufferBytes;

    public LogCleaner(LogManager logs, LogCleanerOptions options, TimeProvider time, ILogger logger)
    {
        _logs = logs;
        _options = options;
        _time = time;
        _logger = logger;
        _throttle = new CleanerThrottle(options.IoMaxBytesPerSecond, time);
        _ioRate = options.IoMaxBytesPerSecond;
        _backoffTicks = options.Backoff.Ticks;
        _dedupeBufferBytes = options.DedupeBufferBytes;
    }

    /// <summary>The I/O rate in effect (log.cleaner.io.max.bytes.per.second); infinity for none.</summary>
    public double IoMaxBytesPerSecond => Volatile.Read(ref _ioRate);

    /// <summary>How long an idle cleaner sleeps (log.cleaner.backoff.ms).</summary>
    public TimeSpan Backoff => TimeSpan.FromTicks(Volatile.Read(ref _backoffTicks));

    /// <summary>The offset map size the next pass uses (log.cleaner.dedupe.buffer.size).</summary>
    public long DedupeBufferBytes => Volatile.Read(ref _dedupeBufferBytes);

    /// <summary>
    /// Changes the cleaner's settings at runtime (dynamic broker configs): the I/O rate from the next round, the
    /// backoff from the next sleep (a sleeping cleaner is woken), the offset map size from the next pass (the map is
    /// allocated again at the new size).
    /// </summary>
    public void Reconfigure(double ioMaxBytesPerSecond, TimeSpan backoff, long dedupeBufferBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ioMaxBytesPerSecond);
        Volatile.Write(ref _ioRate, ioMaxBytesPerSecond);
        Volatile.Write(ref _backoffTicks, backoff.Ticks);
        Volatile.Write(ref _dedupeBufferBytes, dedupeBufferBytes);
        lock (_requestsLock)
        {
            _wake.TrySetResult();
        }
    }

    /// <summary>Bytes of the offset map once allocated, else 0.</summary>
    public long MapMemoryBytes => Map?.MemoryBytes ?? 0;

    /// <summary>The offset map, once the first pass allocated it.</summary>
    internal OffsetMap? Map { get; private set; }

    /// <summary>Bytes of segments rewritten since start.</summary>
    public long TotalBytesRead => Interlocked.Read(ref _bytesRead);

    /// <summary>Total time the I/O throttle made the cleaner wait since start.</summary>
    public TimeSpan TotalThrottled => new(Interlocked.Read(ref _throttledTicks));

    /// <summary>Partition passes completed since start.</summary>
    public long TotalPasses => Interlocked.Read(ref _passes);

    /// <summary>Starts the loop.</summary>
    public void Start()
    {
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                Run(_stopping.Token);
                stopped.SetResult();
            }
            catch (Exception ex)
            {
                // Surfaces in DisposeAsync rather than taking the process down.
                stopped.SetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = ThreadName,
        };
        _loop = stopped.Task;
        thread.Start();
    }

    /// <summary>Asks for a round now (whatever the backoff) and completes with what it did.</summary>
    public Task<LogCleaningRound> RunRoundAsync(CancellationToken cancellationToken = default)
    {
        var request = new TaskCompletionSource<LogCleaningRound>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_requestsLock)
        {
            _requests.Add(request);
            _wake.TrySetResult();
        }
        return request.Task.WaitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stopping.Dispose();
        lock (_requestsLock)
        {
            foreach (var request in _requests)
            {
                request.TrySetCanceled();
            }
            _requests.Clear();
        }
    }

    /// <summary>One round, on the calling thread: one pass over every partition that is due, dirtiest first.</summary>
    internal LogCleaningRound RunRound(CancellationToken cancellationToken)
    {
        var ioRate = Volatile.Read(ref _ioRate);
        if (ioRate != _throttle.BytesPerSecond)
        {
            _throttle.SetRate(ioRate);
        }
        var nowMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var candidates = new List<CleaningCandidate>();
        var seen = new HashSet<PartitionLog>();
        foreach (var topic in _logs.Topics)
        {
            for (var p = 0; p < topic.PartitionCount; p++)
            {
                if (_logs.GetPartition(topic.Name, p) is not { } log)
                {
                    continue;
                }
                seen.Add(log);
                try
                {
                    if (PartitionCleaner.Assess(log, Checkpoint(log), nowMs) is { IsDue: true } candidate)
                    {
                        candidates.Add(candidate);
                    }
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ObjectDisposedException)
                {
                    LogCleanerMessages.CleaningFailed(_logger, ex, log.Topic, log.Partition);
                }
            }
        }
        foreach (var gone in _checkpoints.Keys.Where(log => !seen.Contains(log)).ToList())
        {
            _checkpoints.Remove(gone);
        }
        candidates.Sort((a, b) => b.DirtyRatio.CompareTo(a.DirtyRatio));
        var passes = new List<PartitionCleaningResult>();
        foreach (var candidate in candidates)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var log = candidate.Log;
            try
            {
                PartitionCleaningResult result;
                try
                {
                    result = Cleaner().Clean(candidate, cancellationToken);
                }
                finally
                {
                    Interlocked.Exchange(ref _throttledTicks, _throttle.TotalWaited.Ticks);
                }
                passes.Add(result);
                Interlocked.Add(ref _bytesRead, result.BytesRead);
                Interlocked.Increment(ref _passes);
                if (result.Completed)
                {
                    _checkpoints[log] = result.EndOffset;
                    CleanerCheckpoint.Write(log.Directory, result.EndOffset);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ObjectDisposedException or InvalidDataException)
            {
                // Retention or a topic deletion removed files under the pass, or the disk failed; the old segments stay.
                LogCleanerMessages.CleaningFailed(_logger, ex, log.Topic, log.Partition);
            }
        }
        return new LogCleaningRound(passes);
    }

    private PartitionCleaner Cleaner()
    {
        var mapBytes = Volatile.Read(ref _dedupeBufferBytes);
        if (_cleaner is null || _mapBytes != mapBytes)
        {
            // The old map is let go before the new one is allocated, so a collection can reclaim it meanwhile.
            Map = null;
            _cleaner = null;
            Map = new OffsetMap(mapBytes);
            _mapBytes = mapBytes;
            _cleaner = new PartitionCleaner(Map, _throttle, _time, _logger);
        }
        return _cleaner;
    }

    private long Checkpoint(PartitionLog log)
    {
        if (!_checkpoints.TryGetValue(log, out var checkpoint))
        {
            checkpoint = CleanerCheckpoint.Read(log.Directory);
            _checkpoints.Add(log, checkpoint);
        }
        return checkpoint;
    }

    private void Run(CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                List<TaskCompletionSource<LogCleaningRound>> answered;
                lock (_requestsLock)
                {
                    answered = _requests;
                    _requests = [];
                    _wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }
                var round = new LogCleaningRound([]);
                try
                {
                    if (answered.Count > 0 || _options.Enabled)
                    {
                        round = RunRound(cancellationToken);
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // A bug in one pass must not stop compaction for good, nor leave a waiting caller hanging.
                    LogCleanerMessages.RoundFailed(_logger, ex);
                    foreach (var request in answered)
                    {
                        request.TrySetException(ex);
                    }
                    answered.Clear();
                }
                foreach (var request in answered)
                {
                    request.TrySetResult(round);
                }
                if (!round.Idle && _options.Enabled)
                {
                    continue;
                }
                Task wake;
                lock (_requestsLock)
                {
                    wake = _requests.Count > 0 ? Task.CompletedTask : _wake.Task;
                }
                wake.WaitAsync(Backoff, _time, cancellationToken).ContinueWith(static _ => { }, TaskScheduler.Default).Wait(cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }
}
