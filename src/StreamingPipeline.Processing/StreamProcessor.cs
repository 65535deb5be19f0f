using System.Diagnostics;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace StreamingPipeline.Processing;

/// <summary>
/// One instance of a job: a member of the job's consumer group running one task per assigned input partition, with
/// exactly-once commits on one transactional producer (KIP-447): every commit interval one transaction holds the
/// outputs, the dead letters and the consumed offsets, sent with the group's metadata so a fenced zombie cannot commit.
/// See docs/processing.md.
/// </summary>
public sealed class StreamProcessor
{
    private const int MaxBatch = 4096;
    private static readonly TimeSpan HangMargin = TimeSpan.FromSeconds(5);
    private readonly IStreamJob _job;
    private readonly ProcessingOptions _options;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly Dictionary<int, PartitionTaskRunner> _runners = [];
    private readonly Dictionary<int, List<ConsumeResult<byte[], byte[]>>> _batch = [];
    // One admin client lists offsets for every task's restore (it is thread-safe); one per task cost a client start each.
    private readonly Lazy<IAdminClient> _restoreAdmin;
    private IProducer<byte[], byte[]>? _producer;
    private IConsumer<byte[], byte[]>? _consumer;
    private CancellationToken _stopping;
    private bool _inTransaction;
    private long _transactionStarted;
    private long _recordsInTransaction;
    private int _rebalances;
    private bool _rewindNeeded;

    /// <summary>Creates an instance of <paramref name="job"/>; <see cref="RunAsync"/> runs it.</summary>
    public StreamProcessor(IStreamJob job, ProcessingOptions options, ILoggerFactory loggers)
    {
        _job = job;
        _options = options;
        _loggers = loggers;
        _logger = loggers.CreateLogger("StreamingPipeline.Processing." + job.Name);
        TransactionalId = $"{options.GroupId}-{options.InstanceId ?? Guid.NewGuid().ToString("N")}";
        _restoreAdmin = new Lazy<IAdminClient>(() => new AdminClientBuilder(ClientConfigs.Admin(options)).Build(), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The live counters.</summary>
    public ProcessingMetrics Metrics { get; } = new();

    /// <summary>The job's name (<c>dedup</c>, <c>forward</c>), the <c>job</c> label of its metrics.</summary>
    public string JobName => _job.Name;

    /// <summary>The producer's transactional id, <c>&lt;group&gt;-&lt;instance&gt;</c>.</summary>
    public string TransactionalId { get; }

    /// <summary>
    /// Runs until <paramref name="cancellationToken"/> is cancelled, then commits the open transaction, leaves the group
    /// and disposes the tasks. Throws <see cref="ProcessingConfigurationException"/> when the topics do not fit.
    /// </summary>
    public Task RunAsync(CancellationToken cancellationToken) =>
        // The clients' calls block, and rebalance callbacks run inside Consume: one dedicated thread owns them all.
        Task.Factory.StartNew(() => Run(cancellationToken), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private void Run(CancellationToken cancellationToken)
    {
        _stopping = cancellationToken;
        var partitions = TopicCheck.Run(_options);
        _logger.LogInformation("{Job}: {Input} -> {Output} (partitions: {Partitions}), group {Group}, transactional id {TransactionalId}",
            _job.Name, _options.InputTopic, _options.OutputTopic, partitions, _options.GroupId, TransactionalId);
        _producer = CreateProducer();
        using var consumer = new ConsumerBuilder<byte[], byte[]>(ClientConfigs.GroupConsumer(_options))
            .SetPartitionsAssignedHandler((_, assigned) => OnAssigned(assigned))
            .SetPartitionsRevokedHandler((_, revoked) => OnRevoked(revoked))
            .SetPartitionsLostHandler((_, lost) => OnLost(lost))
            .SetErrorHandler((_, error) => _logger.LogWarning("consumer: {Code} {Reason}", error.Code, error.Reason))
            .Build();
        _consumer = consumer;
        try
        {
            consumer.Subscribe(_options.InputTopic);
            var lagUpdated = Stopwatch.StartNew();
            while (!cancellationToken.IsCancellationRequested)
            {
                try
                {
                    Step();
                }
                catch (KafkaException ex)
                {
                    Recover(ex);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    // Stopped during a restore: the tasks that restored are disposed with the rest below.
                    break;
                }
                if (lagUpdated.ElapsedMilliseconds >= 1000)
                {
                    NotifyIdle();
                    UpdateLag();
                    lagUpdated.Restart();
                }
            }
            _logger.LogInformation("{Job}: stopping", _job.Name);
            FinishTransaction();
            // Leaving the group revokes the partitions (their tasks are disposed) so another instance takes them at once.
            consumer.Close();
        }
        finally
        {
            DisposeTasks(_runners.Keys.ToList());
            _producer?.Dispose();
            _consumer = null;
            if (_restoreAdmin.IsValueCreated)
            {
                _restoreAdmin.Value.Dispose();
            }
        }
    }

    /// <summary>Consumes a batch, processes it into the open transaction, and commits when the interval is up.</summary>
    private void Step()
    {
        var consumer = _consumer!;
        if (_rewindNeeded)
        {
            Rewind();
        }
        var wait = _inTransaction
            ? _options.CommitInterval - Stopwatch.GetElapsedTime(_transactionStarted)
            : _options.CommitInterval;
        var count = CollectBatch(consumer, wait < TimeSpan.Zero ? TimeSpan.Zero : wait);
        if (count > 0)
        {
            if (!_inTransaction)
            {
                _producer!.BeginTransaction();
                _inTransaction = true;
                _transactionStarted = Stopwatch.GetTimestamp();
                _recordsInTransaction = 0;
                foreach (var runner in _runners.Values)
                {
                    runner.BeginTransaction(_producer);
                }
            }
            ProcessBatch();
            _recordsInTransaction += count;
        }
        if (_inTransaction && (_recordsInTransaction >= _options.MaxRecordsPerTransaction || Stopwatch.GetElapsedTime(_transactionStarted) >= _options.CommitInterval))
        {
            Commit();
        }
    }

    private int CollectBatch(IConsumer<byte[], byte[]> consumer, TimeSpan wait)
    {
        var count = 0;
        var rebalances = _rebalances;
        try
        {
            var result = consumer.Consume(wait);
            while (true)
            {
                if (_rebalances != rebalances)
                {
                    // A rebalance inside that Consume call committed or aborted the transaction and restarted the
                    // partitions at their committed offsets: what was gathered before it will be fetched again, but the
                    // record the call returned (if any) already belongs to the new assignment and must be kept.
                    ClearBatch();
                    count = 0;
                    rebalances = _rebalances;
                }
                if (result is null)
                {
                    break;
                }
                if (!_runners.ContainsKey(result.Partition.Value))
                {
                    _logger.LogWarning("record of unassigned partition {Partition} at {Offset} skipped", result.Partition.Value, result.Offset.Value);
                }
                else if (!result.IsPartitionEOF)
                {
                    if (!_batch.TryGetValue(result.Partition.Value, out var records))
                    {
                        _batch[result.Partition.Value] = records = [];
                    }
                    records.Add(result);
                    count++;
                }
                if (count >= MaxBatch)
                {
                    break;
                }
                result = consumer.Consume(TimeSpan.Zero);
            }
        }
        catch (ConsumeException ex)
        {
            // The records gathered so far are processed; the client recovers from transport errors on its own.
            _logger.LogWarning("consume: {Code} {Reason}", ex.Error.Code, ex.Error.Reason);
            if (ex.Error.IsFatal)
            {
                throw;
            }
        }
        return count;
    }

    private void ProcessBatch()
    {
        try
        {
            var groups = _batch.Where(g => g.Value.Count > 0).ToList();
            if (groups.Count == 1)
            {
                _runners[groups[0].Key].Process(groups[0].Value);
            }
            else
            {
                // Tasks run in parallel; each one's records stay in order on one thread.
                Parallel.ForEach(groups, group => _runners[group.Key].Process(group.Value));
            }
        }
        catch (AggregateException ex) when (ex.InnerExceptions.FirstOrDefault(e => e is KafkaException) is KafkaException kafka)
        {
            throw kafka;
        }
        finally
        {
            ClearBatch();
        }
    }

    private void ClearBatch()
    {
        foreach (var records in _batch.Values)
        {
            records.Clear();
        }
    }

    /// <summary>Sends the consumed offsets with the group's metadata and commits; then the tasks apply their staged state.</summary>
    private void Commit()
    {
        var producer = _producer!;
        var started = Stopwatch.GetTimestamp();
        var offsets = _runners.Values
            .Where(r => r.NextOffset is not null)
            .Select(r => new TopicPartitionOffset(r.Input, r.NextOffset!.Value))
            .ToList();
        if (offsets.Count > 0)
        {
            Guarded("send_offsets_to_transaction", () => producer.SendOffsetsToTransaction(offsets, _consumer!.ConsumerGroupMetadata, _options.RequestTimeout));
        }
        Guarded("commit_transaction", () => CommitWithRetries(producer));
        _inTransaction = false;
        Metrics.AddCommit(_recordsInTransaction, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        _logger.LogDebug("committed {Records} records: {Offsets}", _recordsInTransaction, string.Join(",", offsets.Select(o => $"{o.Partition.Value}@{o.Offset.Value}")));
        foreach (var (partition, runner) in _runners.ToList())
        {
            if (!runner.WaitForDeliveries(_options.RequestTimeout))
            {
                _logger.LogWarning("partition {Partition}: delivery reports missing after the commit; rebuilding its task", partition);
                RecreateTask(partition);
                continue;
            }
            try
            {
                runner.Task.OnCommitted(runner.LastOutputOffset);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Kafka holds the transaction; the task's local state does not: a restore catches it up.
                _logger.LogError(ex, "partition {Partition}: applying committed state failed; rebuilding its task", partition);
                RecreateTask(partition);
            }
        }
    }

    private void CommitWithRetries(IProducer<byte[], byte[]> producer)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                producer.CommitTransaction(_options.RequestTimeout);
                return;
            }
            catch (KafkaRetriableException ex) when (attempt < 5 && !_stopping.IsCancellationRequested)
            {
                // A timed-out commit may be called again (the broker restarting, for instance).
                _logger.LogWarning("commit attempt {Attempt} failed, retrying: {Code} {Reason}", attempt, ex.Error.Code, ex.Error.Reason);
            }
        }
    }

    /// <summary>Commits the open transaction (clean shutdown, revocation); aborts it if the commit fails.</summary>
    private void FinishTransaction()
    {
        if (!_inTransaction)
        {
            return;
        }
        try
        {
            Commit();
        }
        catch (KafkaException ex)
        {
            Recover(ex, rewind: false);
        }
    }

    /// <summary>
    /// After a failed transactional call: abort (or, when fenced or fatal, rebuild the producer), drop every task's
    /// staged state and rebuild the tasks from the committed offsets.
    /// </summary>
    private void Recover(KafkaException failure, bool rewind = true)
    {
        _logger.LogWarning("{Job}: transaction failed: {Code} {Reason} (fatal: {Fatal})", _job.Name, failure.Error.Code, failure.Error.Reason, failure.Error.IsFatal);
        if (IsFencedOrFatal(failure.Error))
        {
            RebuildProducer();
        }
        else if (_inTransaction)
        {
            try
            {
                Guarded("abort_transaction", AbortWithRetries);
            }
            catch (KafkaException ex)
            {
                _logger.LogWarning("abort failed: {Code} {Reason}; rebuilding the producer", ex.Error.Code, ex.Error.Reason);
                RebuildProducer();
            }
        }
        if (_inTransaction)
        {
            Metrics.AddAbort();
        }
        _inTransaction = false;
        foreach (var runner in _runners.Values)
        {
            runner.Task.OnAborted();
        }
        if (rewind)
        {
            _rewindNeeded = true;
        }
    }

    private void AbortWithRetries()
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                _producer!.AbortTransaction(_options.RequestTimeout);
                return;
            }
            catch (KafkaRetriableException ex) when (attempt < 5 && !_stopping.IsCancellationRequested)
            {
                _logger.LogWarning("abort attempt {Attempt} failed, retrying: {Code} {Reason}", attempt, ex.Error.Code, ex.Error.Reason);
            }
        }
    }

    private static bool IsFencedOrFatal(Error error) =>
        error.IsFatal || error.Code is ErrorCode.ProducerFenced or ErrorCode.InvalidProducerEpoch or ErrorCode.Local_Fenced
            or ErrorCode.TransactionalIdAuthorizationFailed or ErrorCode.InvalidProducerIdMapping;

    /// <summary>Seeks every assigned partition back to its committed offset and rebuilds its task (which restores).</summary>
    private void Rewind()
    {
        var consumer = _consumer!;
        var partitions = _runners.Values.Select(r => r.Input).ToList();
        var committed = consumer.Committed(partitions, _options.RequestTimeout);
        foreach (var offset in committed)
        {
            consumer.Seek(new TopicPartitionOffset(offset.TopicPartition, offset.Offset == Offset.Unset ? Offset.Beginning : offset.Offset));
        }
        foreach (var partition in _runners.Keys.ToList())
        {
            RecreateTask(partition);
        }
        _rewindNeeded = false;
        _logger.LogInformation("{Job}: rewound partitions {Partitions} to their committed offsets", _job.Name, string.Join(",", partitions.Select(p => p.Partition.Value)));
    }

    private IProducer<byte[], byte[]> CreateProducer()
    {
        var producer = new ProducerBuilder<byte[], byte[]>(ClientConfigs.TransactionalProducer(_options, TransactionalId))
            .SetErrorHandler((_, error) => _logger.LogWarning("producer: {Code} {Reason}", error.Code, error.Reason))
            .Build();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                // Fences any earlier incarnation with the same transactional id and aborts its open transaction.
                Guarded("init_transactions", () => producer.InitTransactions(_options.RequestTimeout));
                return producer;
            }
            catch (KafkaException ex) when (!ex.Error.IsFatal && attempt < 30 && !_stopping.IsCancellationRequested)
            {
                _logger.LogWarning("init transactions attempt {Attempt} failed, retrying: {Code} {Reason}", attempt, ex.Error.Code, ex.Error.Reason);
                Thread.Sleep(500);
            }
            catch
            {
                producer.Dispose();
                throw;
            }
        }
    }

    private void RebuildProducer()
    {
        _logger.LogWarning("{Job}: rebuilding the transactional producer", _job.Name);
        Metrics.AddRebuild();
        _producer?.Dispose();
        _producer = null;
        _producer = CreateProducer();
    }

    private IEnumerable<TopicPartitionOffset> OnAssigned(List<TopicPartition> assigned)
    {
        _rebalances++;
        _logger.LogInformation("{Job}: assigned {Partitions}", _job.Name, string.Join(",", assigned.Select(p => p.Partition.Value)));
        foreach (var partition in assigned)
        {
            _runners[partition.Partition.Value] = CreateRunner(partition.Partition.Value);
        }
        RestoreAll(assigned.Select(p => _runners[p.Partition.Value]).ToList());
        Metrics.SetAssigned(_runners.Count);
        // Offset.Unset: librdkafka starts each partition at its committed offset (a stable one, under read_committed).
        return assigned.Select(p => new TopicPartitionOffset(p, Offset.Unset));
    }

    private void OnRevoked(List<TopicPartitionOffset> revoked)
    {
        _rebalances++;
        _logger.LogInformation("{Job}: revoked {Partitions}", _job.Name, string.Join(",", revoked.Select(p => p.Partition.Value)));
        // The group's generation is still ours until we rejoin: the open transaction can still commit.
        FinishTransaction();
        DisposeTasks(revoked.Select(p => p.Partition.Value).ToList());
        Metrics.SetAssigned(_runners.Count);
    }

    private void OnLost(List<TopicPartitionOffset> lost)
    {
        _rebalances++;
        _logger.LogWarning("{Job}: lost {Partitions} (the group moved on without us)", _job.Name, string.Join(",", lost.Select(p => p.Partition.Value)));
        if (_inTransaction)
        {
            // Another member owns these partitions now: nothing of ours may commit.
            Recover(new KafkaException(new Error(ErrorCode.IllegalGeneration, "partitions lost")), rewind: false);
        }
        DisposeTasks(lost.Select(p => p.Partition.Value).ToList());
        Metrics.SetAssigned(_runners.Count);
    }

    private PartitionTaskRunner CreateRunner(int partition)
    {
        var context = new TaskContext
        {
            Partition = partition,
            InputTopic = _options.InputTopic,
            OutputTopic = _options.OutputTopic,
            DlqTopic = _options.DlqTopic,
            GroupId = _options.GroupId,
            StateDirectory = Path.Combine(_options.StateDirectory, _options.GroupId, partition.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            LoggerFactory = _loggers,
        };
        var runner = new PartitionTaskRunner(_job.CreateTask(context), context, Metrics);
        runner.Metrics.SetAssigned(true);
        if (_inTransaction)
        {
            runner.BeginTransaction(_producer!);
        }
        return runner;
    }

    private void RecreateTask(int partition)
    {
        DisposeTasks([partition]);
        _runners[partition] = CreateRunner(partition);
        RestoreAll([_runners[partition]]);
    }

    private void RestoreAll(List<PartitionTaskRunner> runners)
    {
        var started = Stopwatch.GetTimestamp();
        // A restore blocks a pool thread while it opens its state and reads its partition; with the pool's default of
        // one thread per core the tasks would queue behind each other (seconds even when nothing is to be read).
        ThreadPool.GetMinThreads(out var workers, out var completionPorts);
        var wanted = runners.Count + Environment.ProcessorCount;
        if (workers < wanted)
        {
            ThreadPool.SetMinThreads(wanted, completionPorts);
        }
        // Restores read different partitions: they run in parallel.
        Task.WhenAll(runners.Select(RestoreAsync)).GetAwaiter().GetResult();
        if (runners.Count > 0)
        {
            _logger.LogInformation("{Job}: restored {Count} tasks in {Elapsed:0.000}s", _job.Name, runners.Count, Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    private async Task RestoreAsync(PartitionTaskRunner runner)
    {
        await Task.Yield();
        var started = Stopwatch.GetTimestamp();
        using var restore = new OutputRestoreContext(_options, runner.Context.Partition, () => _restoreAdmin.Value);
        await runner.Task.RestoreAsync(restore, _stopping);
        runner.Metrics.SetRestore(Stopwatch.GetElapsedTime(started));
    }

    private void DisposeTasks(List<int> partitions)
    {
        foreach (var partition in partitions)
        {
            if (_runners.Remove(partition, out var runner))
            {
                runner.Metrics.SetAssigned(false);
                try
                {
                    runner.Task.DisposeAsync().AsTask().GetAwaiter().GetResult();
                }
                catch (Exception ex)
                {
                    _logger.LogError(ex, "partition {Partition}: disposing the task failed", partition);
                }
            }
        }
    }

    /// <summary>Lets each task finish deferred work (<see cref="IPartitionTask.OnIdle"/>) when no transaction is open.</summary>
    private void NotifyIdle()
    {
        if (_inTransaction)
        {
            return;
        }
        foreach (var (partition, runner) in _runners.ToList())
        {
            try
            {
                runner.Task.OnIdle();
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // As after a commit: Kafka holds what was committed, and a restore catches the local state up.
                _logger.LogError(ex, "partition {Partition}: deferred state work failed; rebuilding its task", partition);
                RecreateTask(partition);
            }
        }
    }

    /// <summary>
    /// Measures the lag per partition and samples each task's state size, between batches on the processing thread
    /// (the tasks' stores are single-threaded). Under read_committed the client's high watermark is the last stable offset.
    /// </summary>
    private void UpdateLag()
    {
        var consumer = _consumer!;
        long lag = 0;
        foreach (var runner in _runners.Values)
        {
            var position = consumer.Position(runner.Input);
            var end = consumer.GetWatermarkOffsets(runner.Input).High;
            if (position != Offset.Unset && end != Offset.Unset)
            {
                var partitionLag = Math.Max(0, end.Value - position.Value);
                runner.Metrics.SetLag(partitionLag);
                lag += partitionLag;
            }
            try
            {
                if (runner.Task.GetStateStats() is { } stats)
                {
                    runner.Metrics.SetState(stats);
                }
            }
            catch (IOException ex)
            {
                // A state file compacted away while its size was read: the next sample gets it.
                _logger.LogDebug("partition {Partition}: state size not sampled: {Error}", runner.Context.Partition, ex.Message);
            }
        }
        Metrics.SetLag(lag);
    }

    /// <summary>Runs a blocking transactional call; if it outlives its timeout by a margin, reports the hang.</summary>
    private void Guarded(string call, Action action)
    {
        var limit = _options.RequestTimeout * 5 + HangMargin;
        using var watchdog = new Timer(_ =>
        {
            _logger.LogCritical("{Call} did not return within {Limit}", call, limit);
            _options.OnHungCall?.Invoke(call);
        }, null, limit, Timeout.InfiniteTimeSpan);
        action();
    }
}
