using StreamingPipeline.Broker.Log;
using StreamingPipeline.Broker.Log.Cleaner;
using StreamingPipeline.Protocol;

namespace StreamingPipeline.Broker.Transactions;

/// <summary>
/// A partition's <see cref="ProducerStateManager"/> plugged into its <see cref="PartitionLog"/> as the append guard:
/// every Produce batch is checked for duplicates, sequence gaps and fenced epochs, a batch that opens a transaction
/// here is verified with the transaction coordinator (KIP-890), every written batch and marker is recorded, and the
/// last stable offset is computed after each append. Snapshots are taken on segment roll and clean close.
/// <para>
/// Threading: the log calls every <see cref="IBatchAppendGuard"/> method under its append lock, which is the single
/// writer <see cref="ProducerStateManager"/> requires. <see cref="AbortedTransactions"/> may be read from any thread.
/// </para>
/// </summary>
internal sealed class PartitionProducerState : IBatchAppendGuard, ICleanerProducerState
{
    private readonly ProducerStateManager _state;
    private readonly Func<TransactionCoordinator?> _coordinator;
    private readonly string _topic;
    private readonly int _partition;

    private PartitionProducerState(ProducerStateManager state, Func<TransactionCoordinator?> coordinator, string topic, int partition)
    {
        _state = state;
        _coordinator = coordinator;
        _topic = topic;
        _partition = partition;
    }

    /// <summary>The partition's aborted transactions, for read_committed fetches.</summary>
    public AbortedTransactionIndex AbortedTransactions => _state.AbortedTransactions;

    /// <summary>The producer state itself, for tests and diagnostics; only safe to read while no append runs.</summary>
    internal ProducerStateManager State => _state;

    /// <summary>
    /// Opens the producer state kept in <paramref name="log"/>'s directory for the log as recovered: newest snapshot,
    /// then a replay of the batches after it. <paramref name="coordinator"/> yields the transaction coordinator once it
    /// is open (null before: a transactional first write is then refused as retriable).
    /// </summary>
    public static PartitionProducerState Open(
        PartitionLog log, Func<TransactionCoordinator?> coordinator, ProducerStateManagerOptions? options = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(coordinator);
        var state = ProducerStateManager.Open(
            log.Directory, log.LogStartOffset, log.LogEndOffset, offset => ReadBatches(log, offset), options, time);
        return new PartitionProducerState(state, coordinator, log.Topic, log.Partition);
    }

    /// <inheritdoc />
    public void CollectLastBatchOffsets(ICollection<long> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        foreach (var producer in _state.Producers)
        {
            if (!producer.IsEmpty)
            {
                into.Add(producer.Batch(producer.BatchCount - 1).LastOffset);
            }
        }
    }

    /// <inheritdoc />
    public void CollectAbortedTransactions(long fromOffset, long toOffset, ICollection<(long ProducerId, long FirstOffset, long LastOffset)> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        foreach (var aborted in _state.AbortedTransactions.GetAbortedTransactions(fromOffset, toOffset))
        {
            into.Add((aborted.ProducerId, aborted.FirstOffset, aborted.LastOffset));
        }
    }

    /// <inheritdoc />
    public void RemoveAbortedTransactions(IReadOnlyCollection<long> markerOffsets) => _state.AbortedTransactions.Remove(markerOffsets);

    /// <inheritdoc />
    public AppendGuardVerdict Check(ReadOnlySpan<byte> batch, long baseOffset, in AppendContext context)
    {
        var info = ProducerBatch.Read(batch);
        if (info.HasProducerId && context.Origin == AppendOrigin.Client && context.BatchCount > 1)
        {
            // Kafka: a v3+ Produce carries exactly one batch per partition; sequences are checked batch by batch.
            return AppendGuardVerdict.Reject(ErrorCode.InvalidRecord, "An idempotent or transactional produce must hold exactly one record batch per partition.");
        }
        var check = _state.CheckAppend(info, context.Origin);
        if (check.IsDuplicate)
        {
            return AppendGuardVerdict.Duplicate(check.DuplicateFirstOffset, check.DuplicateLastOffset, check.DuplicateTimestamp);
        }
        if (check.Error != ErrorCode.None)
        {
            return AppendGuardVerdict.Reject(check.Error, RejectionMessage(check.Error, info));
        }
        if (check.RequiresTransactionVerification)
        {
            var error = Verify(info, context.TransactionalId);
            if (error != ErrorCode.None)
            {
                return AppendGuardVerdict.Reject(error, RejectionMessage(error, info));
            }
        }
        return AppendGuardVerdict.Accept;
    }

    /// <inheritdoc />
    public void OnAppended(ReadOnlySpan<byte> batch, AppendOrigin origin) => _state.RecordAppend(ProducerBatch.Read(batch));

    /// <inheritdoc />
    public void OnAppendRejected()
    {
        // Check stages nothing: a batch's state is recorded only once it is written.
    }

    /// <inheritdoc />
    public long OnHighWatermarkAdvanced(long highWatermark)
    {
        _state.OnHighWatermarkUpdated(highWatermark);
        return _state.LastStableOffset(highWatermark);
    }

    /// <inheritdoc />
    public void OnSegmentRolled() => _state.TakeSnapshot();

    /// <inheritdoc />
    public void OnMaintenance(long logStartOffset)
    {
        _state.RemoveExpiredProducers();
        _state.DeleteSnapshotsBefore(logStartOffset);
        _state.AbortedTransactions.RemoveBefore(logStartOffset);
    }

    /// <summary>
    /// The producers this partition remembers with a batch (DescribeProducers): id, epoch, last sequence and batch
    /// timestamp, coordinator epoch and the first offset of an open transaction (-1 if none). Call under the log's
    /// append lock.
    /// </summary>
    public IReadOnlyList<ActiveProducer> ActiveProducers()
    {
        var producers = new List<ActiveProducer>(_state.ProducerCount);
        foreach (var entry in _state.Producers)
        {
            var lastTimestamp = entry.IsEmpty ? -1 : entry.Batch(entry.BatchCount - 1).Timestamp;
            producers.Add(new ActiveProducer(entry.ProducerId, entry.ProducerEpoch, entry.LastSequence, lastTimestamp, entry.CoordinatorEpoch, entry.CurrentTxnFirstOffset ?? -1));
        }
        return producers;
    }

    /// <inheritdoc />
    public void OnClose(bool clean)
    {
        try
        {
            if (clean)
            {
                _state.TakeSnapshot();
            }
        }
        finally
        {
            _state.Dispose();
        }
    }

    private ErrorCode Verify(in ProducerBatch batch, string? transactionalId)
    {
        if (transactionalId is null)
        {
            return ErrorCode.InvalidTxnState;
        }
        if (_coordinator() is not { } coordinator)
        {
            // Retriable for the client; only possible while the broker is still starting.
            return ErrorCode.NotEnoughReplicas;
        }
        return coordinator.VerifyPartitionInTransaction(transactionalId, batch.ProducerId, batch.ProducerEpoch, _topic, _partition);
    }

    private string RejectionMessage(ErrorCode error, in ProducerBatch batch) => error switch
    {
        ErrorCode.OutOfOrderSequenceNumber =>
            $"Out of order sequence number for producer {batch.ProducerId} (epoch {batch.ProducerEpoch}) at {_topic}-{_partition}: batch starts at sequence {batch.BaseSequence}.",
        ErrorCode.InvalidProducerEpoch =>
            $"Producer {batch.ProducerId} epoch {batch.ProducerEpoch} is older than the current epoch at {_topic}-{_partition}.",
        ErrorCode.InvalidTxnState =>
            $"Producer {batch.ProducerId} wrote to {_topic}-{_partition}, which is not part of its ongoing transaction.",
        _ => $"The batch of producer {batch.ProducerId} was refused at {_topic}-{_partition}: {error}.",
    };

    private static IEnumerable<ReadOnlyMemory<byte>> ReadBatches(PartitionLog log, long fromOffset)
    {
        foreach (var (_, batch) in log.ReadBatches(fromOffset))
        {
            yield return batch;
        }
    }
}
