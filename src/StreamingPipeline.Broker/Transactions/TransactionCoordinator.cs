using System.Collections.Concurrent;
using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StreamingPipeline.Broker.Log;
using StreamingPipeline.Protocol;

namespace StreamingPipeline.Broker.Transactions;

/// <summary>
/// The transaction coordinator (Kafka's TransactionCoordinator + TransactionStateManager on one node): maps
/// transactional ids to producer ids and epochs, fences older epochs, tracks the partitions and groups of each
/// transaction, decides commit or abort durably in the <see cref="TransactionLog"/> before writing markers through
/// <see cref="ITransactionMarkerWriter"/>, aborts transactions that outlive their timeout, and on open drives every
/// decided-but-incomplete transaction to completion. Errors follow Kafka's transaction protocol version 1 (no
/// epoch bump per transaction).
/// <para>
/// Threading: every state transition and transaction-log append runs under one async lock (<c>_gate</c>); the
/// published states are immutable and read without the lock (<see cref="VerifyPartitionInTransaction"/> and friends),
/// so the produce path may consult them while holding a partition lock. Markers are written outside the lock, so a
/// marker writer waiting for a partition lock never blocks the coordinator; while they are written the transaction is
/// in PrepareCommit/PrepareAbort, where other requests for it get CONCURRENT_TRANSACTIONS. Timeouts are driven by one
/// <see cref="TimeProvider"/> timer armed for the earliest deadline.
/// </para>
/// </summary>
public sealed class TransactionCoordinator : IAsyncDisposable
{
    private const long MaxTimerDelayMs = 24 * 60 * 60 * 1000;

    private readonly TransactionCoordinatorOptions _options;
    private readonly ITransactionMarkerWriter _markers;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TransactionLog _log;
    private readonly ProducerIdManager _producerIds;
    private readonly ConcurrentDictionary<string, TransactionMetadata> _transactions;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly CancellationTokenSource _lifetime = new();
    private readonly CancellationToken _stopping;
    private readonly ITimer _timer;
    private readonly Lock _timerGate = new();
    private readonly Lock _backgroundGate = new();
    private readonly HashSet<Task> _background = [];
    private long _timerDueMs = long.MaxValue;
    private int _disposeStarted;
    private bool _disposed;

    private TransactionCoordinator(
        TransactionCoordinatorOptions options,
        ITransactionMarkerWriter markers,
        TimeProvider time,
        ILogger logger,
        TransactionLog log,
        ProducerIdManager producerIds,
        Dictionary<string, TransactionMetadata> state)
    {
        _options = options;
        _markers = markers;
        _time = time;
        _logger = logger;
        _log = log;
        _producerIds = producerIds;
        _transactions = new ConcurrentDictionary<string, TransactionMetadata>(state, StringComparer.Ordinal);
        _stopping = _lifetime.Token;
        _timer = time.CreateTimer(OnTimer, null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>
    /// Opens the coordinator on its directory, then completes every transaction the log shows as PrepareCommit or
    /// PrepareAbort (re-writing its markers) before returning; ongoing transactions keep their original deadline.
    /// </summary>
    public static async Task<TransactionCoordinator> OpenAsync(
        TransactionCoordinatorOptions options,
        ITransactionMarkerWriter markerWriter,
        TimeProvider? time = null,
        ILogger<TransactionCoordinator>? logger = null,
        CancellationToken cancellationToken = default)
    {
        var (log, state) = await TransactionLog.OpenAsync(options.Directory, options.FlushToDisk, cancellationToken);
        ProducerIdManager producerIds;
        try
        {
            producerIds = await ProducerIdManager.OpenAsync(options.Directory, options.ProducerIdBlockSize, cancellationToken);
        }
        catch
        {
            await log.DisposeAsync();
            throw;
        }
        var coordinator = new TransactionCoordinator(
            options, markerWriter, time ?? TimeProvider.System, (ILogger?)logger ?? NullLogger.Instance, log, producerIds, state);
        var completing = state.Values.Where(metadata => metadata.IsCompleting).ToList();
        TransactionCoordinatorLogMessages.Loaded(coordinator._logger, state.Count, completing.Count);
        foreach (var metadata in completing)
        {
            await coordinator.CompleteAsync(metadata);
        }
        foreach (var metadata in coordinator._transactions.Values)
        {
            coordinator.ScheduleDeadlineOf(metadata);
        }
        return coordinator;
    }

    /// <summary>The current state of a transactional id, or null when it is unknown (never initialised or expired).</summary>
    public TransactionMetadata? GetTransaction(string transactionalId) => _transactions.GetValueOrDefault(transactionalId);

    /// <summary>The current state of every known transactional id.</summary>
    public IReadOnlyCollection<TransactionMetadata> Transactions => [.. _transactions.Values];

    /// <summary>
    /// InitProducerId. Without a transactional id: a fresh producer id, epoch 0. With one: the id's producer id and a
    /// bumped epoch (a new producer id once epochs run out), which fences every older incarnation; an ongoing
    /// transaction of the old epoch is aborted first (markers written with a fencing epoch) and then the call goes on.
    /// <paramref name="expectedProducerId"/>/<paramref name="expectedProducerEpoch"/> (InitProducerId v3+, KIP-360)
    /// let a live producer bump its own epoch; a mismatch is PRODUCER_FENCED.
    /// </summary>
    public async ValueTask<InitProducerIdResult> InitProducerIdAsync(
        string? transactionalId,
        int transactionTimeoutMs,
        long expectedProducerId = -1,
        short expectedProducerEpoch = -1,
        CancellationToken cancellationToken = default)
    {
        if (transactionalId is null)
        {
            return new InitProducerIdResult(ErrorCode.None, await _producerIds.NextProducerIdAsync(cancellationToken), 0);
        }
        if (transactionalId.Length == 0)
        {
            return InitProducerIdResult.Failed(ErrorCode.InvalidRequest);
        }
        if (transactionTimeoutMs <= 0 || transactionTimeoutMs > _options.MaxTransactionTimeoutMs)
        {
            return InitProducerIdResult.Failed(ErrorCode.InvalidTransactionTimeout);
        }
        var hasExpected = expectedProducerId >= 0 || expectedProducerEpoch >= 0;
        if (hasExpected && (expectedProducerId < 0 || expectedProducerEpoch < 0))
        {
            return InitProducerIdResult.Failed(ErrorCode.InvalidRequest);
        }

        // Each round may abort one ongoing transaction; a rival incarnation starting another in between costs a round.
        for (var round = 0; round < 3; round++)
        {
            TransactionMetadata fenced;
            await _gate.WaitAsync(cancellationToken);
            try
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                var now = NowMs();
                var current = _transactions.GetValueOrDefault(transactionalId)
                    ?? NewTransactionalId(transactionalId, await _producerIds.NextProducerIdAsync(cancellationToken), transactionTimeoutMs, now);
                if (hasExpected && !IsExpectedProducer(current, expectedProducerId, expectedProducerEpoch))
                {
                    return InitProducerIdResult.Failed(ErrorCode.ProducerFenced);
                }
                if (current.IsCompleting)
                {
                    return InitProducerIdResult.Failed(ErrorCode.ConcurrentTransactions);
                }
                if (current.State != TransactionState.Ongoing)
                {
                    var (error, next) = await BumpEpochAsync(current, transactionTimeoutMs, hasExpected, expectedProducerEpoch, now, cancellationToken);
                    if (next is null)
                    {
                        return InitProducerIdResult.Failed(error);
                    }
                    await PersistLockedAsync(next);
                    return new InitProducerIdResult(ErrorCode.None, next.ProducerId, next.ProducerEpoch);
                }
                TransactionCoordinatorLogMessages.Fencing(_logger, transactionalId, current.ProducerId, current.ProducerEpoch);
                fenced = FenceAndAbort(current, now);
                await PersistLockedAsync(fenced);
            }
            finally
            {
                _gate.Release();
            }
            if (!await CompleteAsync(fenced))
            {
                return InitProducerIdResult.Failed(ErrorCode.ConcurrentTransactions);
            }
        }
        return InitProducerIdResult.Failed(ErrorCode.ConcurrentTransactions);
    }

    /// <summary>AddPartitionsToTxn: adds partitions to the producer's transaction, opening it if none is.</summary>
    public ValueTask<ErrorCode> AddPartitionsToTxnAsync(
        string transactionalId,
        long producerId,
        short producerEpoch,
        IEnumerable<TopicPartition> partitions,
        CancellationToken cancellationToken = default) =>
        AddToTransactionAsync(
            transactionalId, producerId, producerEpoch, cancellationToken,
            current => current.State == TransactionState.Ongoing && partitions.All(current.Partitions.Contains)
                ? null
                : current with { Partitions = current.Partitions.Union(partitions) });

    /// <summary>AddOffsetsToTxn: makes a consumer group's offsets (TxnOffsetCommit) part of the producer's transaction.</summary>
    public ValueTask<ErrorCode> AddOffsetsToTxnAsync(
        string transactionalId,
        long producerId,
        short producerEpoch,
        string groupId,
        CancellationToken cancellationToken = default) =>
        AddToTransactionAsync(
            transactionalId, producerId, producerEpoch, cancellationToken,
            current => current.State == TransactionState.Ongoing && current.GroupIds.Contains(groupId)
                ? null
                : current with { GroupIds = current.GroupIds.Add(groupId) });

    /// <summary>
    /// EndTxn: durably decides commit or abort (PrepareCommit/PrepareAbort), writes the markers, then records
    /// CompleteCommit/CompleteAbort. Returns NONE once the decision is durable; if markers fail they are retried in the
    /// background. A retry of a finished EndTxn with the same result is NONE, as in Kafka.
    /// </summary>
    public async ValueTask<ErrorCode> EndTxnAsync(
        string transactionalId,
        long producerId,
        short producerEpoch,
        bool commit,
        CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(transactionalId))
        {
            return ErrorCode.InvalidRequest;
        }
        TransactionMetadata prepared;
        await _gate.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (CheckProducer(transactionalId, producerId, producerEpoch, ErrorCode.ProducerFenced, out var current) is { } producerError)
            {
                return producerError;
            }
            switch (current.State)
            {
                case TransactionState.Ongoing:
                    prepared = current with
                    {
                        State = commit ? TransactionState.PrepareCommit : TransactionState.PrepareAbort,
                        LastUpdateMs = NowMs(),
                    };
                    await PersistLockedAsync(prepared);
                    break;
                case TransactionState.CompleteCommit:
                    return commit ? ErrorCode.None : ErrorCode.InvalidTxnState;
                case TransactionState.CompleteAbort:
                    return commit ? ErrorCode.InvalidTxnState : ErrorCode.None;
                case TransactionState.PrepareCommit:
                    return commit ? ErrorCode.ConcurrentTransactions : ErrorCode.InvalidTxnState;
                case TransactionState.PrepareAbort:
                    return commit ? ErrorCode.InvalidTxnState : ErrorCode.ConcurrentTransactions;
                default:
                    return ErrorCode.InvalidTxnState;
            }
        }
        finally
        {
            _gate.Release();
        }
        await CompleteAsync(prepared);
        return ErrorCode.None;
    }

    /// <summary>
    /// For the produce path (KIP-890 part 1): may this producer write transactional data to this partition? Reads the
    /// published state without locking. Errors are the ones Kafka ≥ 3.6 gives Produce requests of clients without
    /// transaction version 2: INVALID_TXN_STATE when the partition was not added (the coordinator's
    /// TRANSACTION_ABORTABLE), INVALID_PRODUCER_EPOCH when fenced, NOT_ENOUGH_REPLICAS (retriable) while the
    /// transaction is completing, INVALID_PRODUCER_ID_MAPPING when the id does not map to this producer.
    /// </summary>
    public ErrorCode VerifyPartitionInTransaction(string transactionalId, long producerId, short producerEpoch, string topic, int partition)
    {
        if (CheckProducer(transactionalId, producerId, producerEpoch, ErrorCode.InvalidProducerEpoch, out var current) is { } producerError)
        {
            return producerError;
        }
        if (current.IsCompleting)
        {
            return ErrorCode.NotEnoughReplicas;
        }
        return current.State == TransactionState.Ongoing && current.Partitions.Contains(new TopicPartition(topic, partition))
            ? ErrorCode.None
            : ErrorCode.InvalidTxnState;
    }

    /// <summary>
    /// For TxnOffsetCommit: may this producer stage offsets of this group? Same rules as
    /// <see cref="VerifyPartitionInTransaction"/> for the group added by AddOffsetsToTxn, except that a completing
    /// transaction answers COORDINATOR_NOT_AVAILABLE, which is what Kafka's group coordinator turns it into. The
    /// group coordinator still checks generation and member id (KIP-447) itself.
    /// </summary>
    public ErrorCode VerifyGroupInTransaction(string transactionalId, long producerId, short producerEpoch, string groupId)
    {
        if (CheckProducer(transactionalId, producerId, producerEpoch, ErrorCode.InvalidProducerEpoch, out var current) is { } producerError)
        {
            return producerError;
        }
        if (current.IsCompleting)
        {
            return ErrorCode.CoordinatorNotAvailable;
        }
        return current.State == TransactionState.Ongoing && current.GroupIds.Contains(groupId)
            ? ErrorCode.None
            : ErrorCode.InvalidTxnState;
    }

    /// <summary>
    /// The checks every transactional request starts with: the id maps to this producer (else
    /// INVALID_PRODUCER_ID_MAPPING) at its current epoch (else <paramref name="fencedError"/>, which differs by API).
    /// </summary>
    private ErrorCode? CheckProducer(string transactionalId, long producerId, short producerEpoch, ErrorCode fencedError, out TransactionMetadata current)
    {
        if (!_transactions.TryGetValue(transactionalId, out current!) || current.ProducerId != producerId)
        {
            return ErrorCode.InvalidProducerIdMapping;
        }
        return current.ProducerEpoch != producerEpoch ? fencedError : null;
    }

    /// <summary>Stops timers and retries and closes the files. Work in flight is cut off as a crash would; the log decides on reopen.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposeStarted, 1) != 0)
        {
            return;
        }

        // Cancelled outside _backgroundGate: cancellation runs continuations inline, and they may start background work.
        await _lifetime.CancelAsync();
        lock (_timerGate)
        {
            _timer.Dispose();
        }
        Task[] background;
        lock (_backgroundGate)
        {
            background = [.. _background];
        }
        await Task.WhenAll(background);
        await _gate.WaitAsync();
        try
        {
            _disposed = true;
            await _log.DisposeAsync();
            _producerIds.Dispose();
        }
        finally
        {
            _gate.Release();
        }
        _lifetime.Dispose();
    }

    private async ValueTask<ErrorCode> AddToTransactionAsync(
        string transactionalId,
        long producerId,
        short producerEpoch,
        CancellationToken cancellationToken,
        Func<TransactionMetadata, TransactionMetadata?> add)
    {
        if (string.IsNullOrEmpty(transactionalId))
        {
            return ErrorCode.InvalidRequest;
        }
        await _gate.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (CheckProducer(transactionalId, producerId, producerEpoch, ErrorCode.ProducerFenced, out var current) is { } producerError)
            {
                return producerError;
            }
            if (current.IsCompleting)
            {
                return ErrorCode.ConcurrentTransactions;
            }
            if (add(current) is not { } added)
            {
                return ErrorCode.None;
            }
            var now = NowMs();
            await PersistLockedAsync(added with
            {
                State = TransactionState.Ongoing,
                TransactionStartMs = current.State == TransactionState.Ongoing ? current.TransactionStartMs : now,
                LastUpdateMs = now,
            });
            return ErrorCode.None;
        }
        finally
        {
            _gate.Release();
        }
    }

    private static TransactionMetadata NewTransactionalId(string transactionalId, long producerId, int timeoutMs, long now) =>
        new(transactionalId, producerId, -1, -1, -1, timeoutMs, TransactionState.Empty, [], ImmutableHashSet.Create<string>(StringComparer.Ordinal), -1, now);

    /// <summary>Kafka's isValidProducerId: which (producerId, epoch) a producer may claim to be when re-initialising.</summary>
    private static bool IsExpectedProducer(TransactionMetadata current, long expectedProducerId, short expectedProducerEpoch) =>
        current.ProducerEpoch == -1
        || expectedProducerId == current.ProducerId
        || (expectedProducerId == current.PreviousProducerId && TransactionMetadata.IsEpochExhausted(expectedProducerEpoch));

    private async ValueTask<(ErrorCode Error, TransactionMetadata? Next)> BumpEpochAsync(
        TransactionMetadata current, int timeoutMs, bool hasExpected, short expectedEpoch, long now, CancellationToken cancellationToken)
    {
        var idle = current with
        {
            State = TransactionState.Empty,
            TimeoutMs = timeoutMs,
            Partitions = [],
            GroupIds = current.GroupIds.Clear(),
            TransactionStartMs = -1,
            LastUpdateMs = now,
        };
        if (TransactionMetadata.IsEpochExhausted(current.ProducerEpoch))
        {
            if (hasExpected && expectedEpoch != current.ProducerEpoch)
            {
                return (ErrorCode.ProducerFenced, null);
            }
            var producerId = await _producerIds.NextProducerIdAsync(cancellationToken);
            return (ErrorCode.None, idle with
            {
                ProducerId = producerId,
                PreviousProducerId = current.ProducerId,
                ProducerEpoch = 0,
                LastProducerEpoch = hasExpected ? current.ProducerEpoch : (short)-1,
            });
        }
        var bumped = (short)(current.ProducerEpoch + 1);
        if (!hasExpected)
        {
            return (ErrorCode.None, idle with { ProducerEpoch = bumped, LastProducerEpoch = -1 });
        }
        if (current.ProducerEpoch == -1 || expectedEpoch == current.ProducerEpoch)
        {
            return (ErrorCode.None, idle with { ProducerEpoch = bumped, LastProducerEpoch = current.ProducerEpoch });
        }
        if (expectedEpoch == current.LastProducerEpoch)
        {
            // A retry of a bump that succeeded: same answer, no new bump.
            return (ErrorCode.None, idle);
        }
        return (ErrorCode.ProducerFenced, null);
    }

    /// <summary>The abort Kafka writes when fencing: one epoch up, so the old incarnation is fenced in every partition.</summary>
    private static TransactionMetadata FenceAndAbort(TransactionMetadata current, long now) => current with
    {
        ProducerEpoch = current.ProducerEpoch < short.MaxValue ? (short)(current.ProducerEpoch + 1) : current.ProducerEpoch,
        LastProducerEpoch = -1,
        State = TransactionState.PrepareAbort,
        LastUpdateMs = now,
    };

    /// <summary>Appends to the log and publishes; the caller holds the gate. Not cancellable once started.</summary>
    private async ValueTask PersistLockedAsync(TransactionMetadata next)
    {
        await _log.AppendAsync(next);
        _transactions[next.TransactionalId] = next;
        ScheduleDeadlineOf(next);
        if (_log.EntryCount >= _options.CompactionMinEntries && _log.EntryCount > 4 * _transactions.Count)
        {
            await _log.CompactAsync([.. _transactions.Values]);
        }
    }

    /// <summary>Writes the markers of a decided transaction and records its completion; on failure schedules retries.</summary>
    private async Task<bool> CompleteAsync(TransactionMetadata prepared)
    {
        var failure = await TryCompleteOnceAsync(prepared);
        if (failure is null)
        {
            return true;
        }
        if (!_stopping.IsCancellationRequested)
        {
            TransactionCoordinatorLogMessages.MarkersFailed(_logger, failure, prepared.TransactionalId, prepared.State.ToString(), _options.MarkerRetryBackoff);
            StartBackground(() => RetryCompletionAsync(prepared));
        }
        return false;
    }

    /// <summary>
    /// Retries a decided transaction's markers with capped exponential backoff until they are written or the
    /// coordinator stops: the decision is durable and every partition must learn it, as Kafka's marker channel does.
    /// </summary>
    private async Task RetryCompletionAsync(TransactionMetadata prepared)
    {
        var backoff = _options.MarkerRetryBackoff;
        while (true)
        {
            await Task.Delay(backoff, _time, _stopping);
            var current = _transactions.GetValueOrDefault(prepared.TransactionalId);
            if (current is null || current.State != prepared.State || current.ProducerId != prepared.ProducerId
                || current.ProducerEpoch != prepared.ProducerEpoch)
            {
                return;
            }
            var failure = await TryCompleteOnceAsync(current);
            if (failure is null || _stopping.IsCancellationRequested)
            {
                return;
            }
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _options.MaxMarkerRetryBackoff.Ticks));
            TransactionCoordinatorLogMessages.MarkersFailed(_logger, failure, prepared.TransactionalId, prepared.State.ToString(), backoff);
        }
    }

    /// <summary>One attempt: markers, then CompleteCommit/CompleteAbort. Returns the failure, or null when done (or moot).</summary>
    private async Task<Exception?> TryCompleteOnceAsync(TransactionMetadata prepared)
    {
        try
        {
            await _markers.WriteMarkersAsync(
                prepared.ProducerId,
                prepared.ProducerEpoch,
                prepared.State == TransactionState.PrepareCommit,
                prepared.Partitions,
                prepared.GroupIds,
                _stopping);
            await _gate.WaitAsync(_stopping);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            return exception;
        }
        try
        {
            if (_disposed)
            {
                return new ObjectDisposedException(nameof(TransactionCoordinator));
            }
            var current = _transactions.GetValueOrDefault(prepared.TransactionalId);
            if (current is null || current.State != prepared.State || current.ProducerId != prepared.ProducerId
                || current.ProducerEpoch != prepared.ProducerEpoch)
            {
                return null;
            }
            await PersistLockedAsync(current with
            {
                State = current.State == TransactionState.PrepareCommit ? TransactionState.CompleteCommit : TransactionState.CompleteAbort,
                Partitions = [],
                GroupIds = current.GroupIds.Clear(),
                LastUpdateMs = NowMs(),
            });
            return null;
        }
        finally
        {
            _gate.Release();
        }
    }

    private void ScheduleDeadlineOf(TransactionMetadata metadata)
    {
        if (metadata.State == TransactionState.Ongoing)
        {
            ScheduleWakeUp(metadata.TimeoutDeadlineMs);
        }
        else if (metadata.IsIdle)
        {
            ScheduleWakeUp(SaturatingAdd(metadata.LastUpdateMs, _options.TransactionalIdExpirationMs));
        }
    }

    private void ScheduleWakeUp(long dueMs)
    {
        lock (_timerGate)
        {
            if (dueMs >= _timerDueMs || _stopping.IsCancellationRequested)
            {
                return;
            }
            _timerDueMs = dueMs;
            var delay = Math.Clamp(dueMs - NowMs(), 0, MaxTimerDelayMs);
            _timer.Change(TimeSpan.FromMilliseconds(delay), Timeout.InfiniteTimeSpan);
        }
    }

    private void OnTimer(object? state)
    {
        lock (_timerGate)
        {
            _timerDueMs = long.MaxValue;
        }
        StartBackground(HandleDeadlinesAsync);
    }

    /// <summary>Aborts timed-out transactions, forgets expired ids, and re-arms the timer for the next deadline.</summary>
    private async Task HandleDeadlinesAsync()
    {
        var now = NowMs();
        var next = long.MaxValue;
        var timedOut = new List<string>();
        var expired = new List<string>();
        foreach (var metadata in _transactions.Values)
        {
            if (metadata.State == TransactionState.Ongoing)
            {
                if (now >= metadata.TimeoutDeadlineMs)
                {
                    timedOut.Add(metadata.TransactionalId);
                }
                else
                {
                    next = Math.Min(next, metadata.TimeoutDeadlineMs);
                }
            }
            else if (metadata.IsIdle)
            {
                var expiry = SaturatingAdd(metadata.LastUpdateMs, _options.TransactionalIdExpirationMs);
                if (now >= expiry)
                {
                    expired.Add(metadata.TransactionalId);
                }
                else
                {
                    next = Math.Min(next, expiry);
                }
            }
        }
        foreach (var transactionalId in timedOut)
        {
            await AbortTimedOutAsync(transactionalId);
        }
        foreach (var transactionalId in expired)
        {
            await ExpireAsync(transactionalId);
        }
        if (next != long.MaxValue)
        {
            ScheduleWakeUp(next);
        }
    }

    private async Task AbortTimedOutAsync(string transactionalId)
    {
        TransactionMetadata fenced;
        await _gate.WaitAsync(_stopping);
        try
        {
            if (_disposed
                || !_transactions.TryGetValue(transactionalId, out var current)
                || current.State != TransactionState.Ongoing
                || NowMs() < current.TimeoutDeadlineMs)
            {
                return;
            }
            TransactionCoordinatorLogMessages.TimedOut(_logger, transactionalId, current.ProducerId, current.TimeoutMs);
            fenced = FenceAndAbort(current, NowMs());
            await PersistLockedAsync(fenced);
        }
        finally
        {
            _gate.Release();
        }
        await CompleteAsync(fenced);
    }

    private async Task ExpireAsync(string transactionalId)
    {
        await _gate.WaitAsync(_stopping);
        try
        {
            if (_disposed
                || !_transactions.TryGetValue(transactionalId, out var current)
                || !current.IsIdle
                || NowMs() < SaturatingAdd(current.LastUpdateMs, _options.TransactionalIdExpirationMs))
            {
                return;
            }
            await _log.AppendTombstoneAsync(transactionalId);
            _transactions.TryRemove(transactionalId, out _);
            TransactionCoordinatorLogMessages.Expired(_logger, transactionalId);
        }
        finally
        {
            _gate.Release();
        }
    }

    private void StartBackground(Func<Task> work)
    {
        Task task;
        lock (_backgroundGate)
        {
            if (_stopping.IsCancellationRequested)
            {
                return;
            }
            task = Task.Run(() => RunGuardedAsync(work));
            _background.Add(task);
        }
        _ = task.ContinueWith(
            finished =>
            {
                lock (_backgroundGate)
                {
                    _background.Remove(finished);
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private async Task RunGuardedAsync(Func<Task> work)
    {
        try
        {
            await work();
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Stopping: whatever was in flight is settled by the transaction log on the next open.
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            TransactionCoordinatorLogMessages.BackgroundFailed(_logger, exception);
        }
    }

    private long NowMs() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private static long SaturatingAdd(long a, long b) => b > long.MaxValue - a ? long.MaxValue : a + b;
}
