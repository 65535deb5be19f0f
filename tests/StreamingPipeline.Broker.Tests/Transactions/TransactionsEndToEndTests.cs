using StreamingPipeline.Broker.Log;
using StreamingPipeline.Broker.Transactions;
using StreamingPipeline.Protocol;

namespace StreamingPipeline.Broker.Tests.Transactions;

/// <summary>
/// The coordinator and per-partition producer state wired the way the broker will wire them: markers appended to
/// the partitions through the coordinator origin, the produce path verifying first appends (KIP-890), the LSO and
/// the aborted index following the coordinator's decisions.
/// </summary>
public sealed class TransactionsEndToEndTests : IAsyncLifetime, ITransactionMarkerWriter
{
    private const string Id = "dedup-0";
    private readonly TempDirectory _directory = new();
    private readonly FakeTimeProvider _time = new();
    private readonly Dictionary<TopicPartition, (TestPartition Log, ProducerStateManager State)> _partitions = [];
    private readonly List<(string Group, bool Commit)> _completedGroups = [];
    private TransactionCoordinator _coordinator = null!;

    public async Task InitializeAsync()
    {
        foreach (var partition in new TopicPartition[] { new("output", 0), new("output", 1) })
        {
            var log = new TestPartition();
            var state = ProducerStateManager.Open(_directory.Combine($"{partition.Topic}-{partition.Partition}"), 0, 0, log.ReadFrom, time: _time);
            _partitions[partition] = (log, state);
        }
        _coordinator = await TransactionCoordinator.OpenAsync(
            new TransactionCoordinatorOptions { Directory = _directory.Combine("coordinator") }, this, _time);
    }

    public async Task DisposeAsync()
    {
        await _coordinator.DisposeAsync();
        foreach (var (_, state) in _partitions.Values)
        {
            state.Dispose();
        }
        _directory.Dispose();
    }

    [Fact]
    public async Task CommittedTransactionBecomesStableAndAbortedOneIsIndexed()
    {
        var producer = await _coordinator.InitProducerIdAsync(Id, 60_000);
        var pid = producer.ProducerId;
        await _coordinator.AddPartitionsToTxnAsync(Id, pid, 0, [new TopicPartition("output", 0)]);
        Assert.Equal(ErrorCode.None, Produce("output", 0, RecordBatchBuilder.HeaderOnly(pid, 0, 0, recordCount: 3, transactional: true)));
        Assert.Equal(ErrorCode.None, Produce("output", 0, RecordBatchBuilder.HeaderOnly(pid, 0, 3, recordCount: 2, transactional: true)));
        Assert.Equal(0, LastStableOffset("output", 0));

        await _coordinator.EndTxnAsync(Id, pid, 0, commit: true);
        Assert.Equal(6, LastStableOffset("output", 0)); // 5 records and the marker

        await _coordinator.AddPartitionsToTxnAsync(Id, pid, 0, [new TopicPartition("output", 0)]);
        await _coordinator.AddOffsetsToTxnAsync(Id, pid, 0, "dedup");
        Assert.Equal(ErrorCode.None, Produce("output", 0, RecordBatchBuilder.HeaderOnly(pid, 0, 5, recordCount: 2, transactional: true)));
        Assert.Equal(6, LastStableOffset("output", 0));
        await _coordinator.EndTxnAsync(Id, pid, 0, commit: false);

        Assert.Equal(9, LastStableOffset("output", 0));
        Assert.Equal([new AbortedTransaction(pid, 6, 8, 9)], _partitions[new TopicPartition("output", 0)].State.AbortedTransactions.GetAbortedTransactions(0, 9));
        Assert.Equal([("dedup", false)], _completedGroups);
    }

    [Fact]
    public async Task TransactionalWriteToAPartitionNotAddedIsRejected()
    {
        var pid = (await _coordinator.InitProducerIdAsync(Id, 60_000)).ProducerId;
        await _coordinator.AddPartitionsToTxnAsync(Id, pid, 0, [new TopicPartition("output", 0)]);

        Assert.Equal(ErrorCode.InvalidTxnState, Produce("output", 1, RecordBatchBuilder.HeaderOnly(pid, 0, 0, transactional: true)));
        Assert.Equal(0, _partitions[new TopicPartition("output", 1)].Log.EndOffset);
        Assert.Equal(ErrorCode.None, Produce("output", 0, RecordBatchBuilder.HeaderOnly(pid, 0, 0, transactional: true)));
    }

    [Fact]
    public async Task NewIncarnationAbortsTheZombiesDataAndFencesItsWrites()
    {
        var zombie = (await _coordinator.InitProducerIdAsync(Id, 60_000)).ProducerId;
        await _coordinator.AddPartitionsToTxnAsync(Id, zombie, 0, [new TopicPartition("output", 0), new TopicPartition("output", 1)]);
        Produce("output", 0, RecordBatchBuilder.HeaderOnly(zombie, 0, 0, recordCount: 4, transactional: true));
        Produce("output", 1, RecordBatchBuilder.HeaderOnly(zombie, 0, 0, recordCount: 1, transactional: true));

        var successor = await _coordinator.InitProducerIdAsync(Id, 60_000);

        Assert.Equal(2, successor.ProducerEpoch);
        Assert.Equal(5, LastStableOffset("output", 0));
        Assert.Equal(2, LastStableOffset("output", 1));
        Assert.Single(_partitions[new TopicPartition("output", 0)].State.AbortedTransactions.GetAbortedTransactions(0, 5));
        Assert.Equal(ErrorCode.InvalidProducerEpoch, Produce("output", 0, RecordBatchBuilder.HeaderOnly(zombie, 0, 4, transactional: true)));
        Assert.Equal(ErrorCode.InvalidProducerEpoch, Produce("output", 1, RecordBatchBuilder.HeaderOnly(zombie, 0, 1, transactional: true)));
    }

    [Fact]
    public async Task AbandonedTransactionIsAbortedByTheTimeoutAndStopsHoldingBackReaders()
    {
        var pid = (await _coordinator.InitProducerIdAsync(Id, 10_000)).ProducerId;
        await _coordinator.AddPartitionsToTxnAsync(Id, pid, 0, [new TopicPartition("output", 1)]);
        Produce("output", 1, RecordBatchBuilder.HeaderOnly(pid, 0, 0, recordCount: 2, transactional: true));
        Assert.Equal(0, LastStableOffset("output", 1));

        _time.Advance(TimeSpan.FromSeconds(10));

        await Eventually.TrueAsync(() => _coordinator.GetTransaction(Id)!.State == TransactionState.CompleteAbort, "the timeout aborts");
        Assert.Equal(3, LastStableOffset("output", 1));
    }

    ValueTask ITransactionMarkerWriter.WriteMarkersAsync(
        long producerId,
        short producerEpoch,
        bool commit,
        IReadOnlyCollection<TopicPartition> partitions,
        IReadOnlyCollection<string> groupIds,
        CancellationToken cancellationToken)
    {
        foreach (var partition in partitions)
        {
            var (log, state) = _partitions[partition];
            var (check, _) = log.Append(state, RecordBatchBuilder.Marker(producerId, producerEpoch, commit), AppendOrigin.Coordinator);
            Assert.True(check.ShouldAppend, $"marker refused: {check.Error}");
            state.OnHighWatermarkUpdated(log.EndOffset);
        }
        foreach (var group in groupIds)
        {
            _completedGroups.Add((group, commit));
        }
        return ValueTask.CompletedTask;
    }

    /// <summary>The produce path as the Produce handler will run it, under the partition's append lock.</summary>
    private ErrorCode Produce(string topic, int partition, byte[] batch)
    {
        var (log, state) = _partitions[new TopicPartition(topic, partition)];
        var info = ProducerBatch.Read(batch);
        var check = state.CheckAppend(info, AppendOrigin.Client);
        if (!check.ShouldAppend)
        {
            return check.Error;
        }
        if (check.RequiresTransactionVerification)
        {
            var verified = _coordinator.VerifyPartitionInTransaction(Id, info.ProducerId, info.ProducerEpoch, topic, partition);
            if (verified != ErrorCode.None)
            {
                return verified;
            }
        }
        var (appended, _) = log.Append(state, batch);
        state.OnHighWatermarkUpdated(log.EndOffset);
        return appended.Error;
    }

    private long LastStableOffset(string topic, int partition)
    {
        var (log, state) = _partitions[new TopicPartition(topic, partition)];
        return state.LastStableOffset(log.EndOffset);
    }
}
