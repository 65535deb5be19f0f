using StreamingPipeline.Broker.Log;
using StreamingPipeline.Broker.Transactions;
using StreamingPipeline.Protocol;

namespace StreamingPipeline.Broker.Tests.Transactions;

public sealed class ProducerStateTransactionTests : IDisposable
{
    private const long P1 = 1;
    private const long P2 = 2;
    private readonly TempDirectory _directory = new();
    private readonly TestPartition _log = new();
    private readonly ProducerStateManager _state;

    public ProducerStateTransactionTests() => _state = ProducerStateManager.Open(_directory.Path, 0, 0, _log.ReadFrom);

    public void Dispose()
    {
        _state.Dispose();
        _directory.Dispose();
    }

    [Fact]
    public void OpenTransactionHoldsTheLastStableOffsetAtItsFirstOffset()
    {
        _log.Append(_state, RecordBatchBuilder.HeaderOnly(recordCount: 2));                           // 0-1
        _log.Append(_state, RecordBatchBuilder.HeaderOnly(P1, 0, 0, recordCount: 2, transactional: true)); // 2-3
        _log.Append(_state, RecordBatchBuilder.HeaderOnly());                                          // 4

        Assert.True(_state.HasOngoingTransaction(P1));
        Assert.Equal(2, _state.FirstUnstableOffset);
        Assert.Equal(2, _state.LastStableOffset(highWatermark: 5));
        Assert.Equal(1, _state.LastStableOffset(highWatermark: 1));
    }

    [Fact]
    public void CommitMarkerReleasesTheLastStableOffsetOnceTheHighWatermarkPassesIt()
    {
        _log.Append(_state, RecordBatchBuilder.HeaderOnly(P1, 0, 0, recordCount: 2, transactional: true)); // 0-1
        _log.Append(_state, RecordBatchBuilder.HeaderOnly());                                          // 2

        var marker = RecordBatchBuilder.Marker(P1, 0, commit: true);
        Assert.True(_state.CheckAppend(ProducerBatch.Read(marker), AppendOrigin.Coordinator).ShouldAppend);
        _log.Append(_state, marker, AppendOrigin.Coordinator);                             // 3

        Assert.False(_state.HasOngoingTransaction(P1));
        Assert.Equal(0, _state.LastStableOffset(highWatermark: 3)); // the marker is not below the high watermark yet
        _state.OnHighWatermarkUpdated(4);
        Assert.Null(_state.FirstUnstableOffset);
        Assert.Equal(4, _state.LastStableOffset(highWatermark: 4));
        Assert.Equal(0, _state.AbortedTransactions.Count);
    }

    [Fact]
    public void MarkerReturnsTheCompletedTransaction()
    {
        _log.Append(_state, RecordBatchBuilder.HeaderOnly(P1, 0, 0, recordCount: 3, transactional: true)); // 0-2
        var stored = ControlBatch.Build(P1, 0, ControlRecordType.Abort, 0, 1, baseOffset: 3);

        var completed = _state.RecordAppend(ProducerBatch.Read(stored));

        Assert.Equal(new CompletedTransaction(P1, 0, 3, IsAborted: true), completed);
    }

    [Fact]
    public void AbortIsIndexedWithTheLastStableOffsetOfThatMoment()
    {
        _log.Append(_state, RecordBatchBuilder.HeaderOnly(P1, 0, 0, transactional: true));  // 0
        _log.Append(_state, RecordBatchBuilder.HeaderOnly(P2, 0, 0, transactional: true));  // 1
        _log.Append(_state, RecordBatchBuilder.HeaderOnly(P1, 0, 1, transactional: true));  // 2
        _log.Append(_state, RecordBatchBuilder.Marker(P1, 0, commit: false), AppendOrigin.Coordinator); // 3
        _log.Append(_state, RecordBatchBuilder.Marker(P2, 0, commit: false), AppendOrigin.Coordinator); // 4

        Assert.Equal(
            [new AbortedTransaction(P1, 0, 3, LastStableOffset: 1), new AbortedTransaction(P2, 1, 4, LastStableOffset: 5)],
            _state.AbortedTransactions.GetAbortedTransactions(0, 5));
    }

    [Fact]
    public void LastStableOffsetIsTheEarliestOfSeveralOpenTransactions()
    {
        _log.Append(_state, RecordBatchBuilder.HeaderOnly(P1, 0, 0, transactional: true));  // 0
        _log.Append(_state, RecordBatchBuilder.HeaderOnly(P2, 0, 0, transactional: true));  // 1
        _log.Append(_state, RecordBatchBuilder.Marker(P1, 0, commit: true), AppendOrigin.Coordinator); // 2
        _state.OnHighWatermarkUpdated(3);

        Assert.Equal(1, _state.LastStableOffset(3));

        _log.Append(_state, RecordBatchBuilder.HeaderOnly(P1, 0, 1, transactional: true));  // 3, a new transaction of P1
        _log.Append(_state, RecordBatchBuilder.Marker(P2, 0, commit: true), AppendOrigin.Coordinator); // 4
        _state.OnHighWatermarkUpdated(5);

        Assert.Equal(3, _state.LastStableOffset(5));
    }

    [Fact]
    public void MarkerWithoutAnOpenTransactionIsHarmlessButFencesOlderEpochs()
    {
        _log.Append(_state, RecordBatchBuilder.HeaderOnly(P1, 0, 0));
        var (check, _) = _log.Append(_state, RecordBatchBuilder.Marker(P1, 1, commit: false), AppendOrigin.Coordinator);

        Assert.True(check.ShouldAppend);
        Assert.Null(_state.FirstUnstableOffset);
        Assert.Equal(0, _state.AbortedTransactions.Count);
        Assert.Equal(ErrorCode.InvalidProducerEpoch, _log.Append(_state, RecordBatchBuilder.HeaderOnly(P1, 0, 1)).Check.Error);
    }

    [Fact]
    public void OnlyTheBatchThatOpensATransactionNeedsVerification()
    {
        var opening = _state.CheckAppend(ProducerBatch.Read(RecordBatchBuilder.HeaderOnly(P1, 0, 0, transactional: true)), AppendOrigin.Client);
        _log.Append(_state, RecordBatchBuilder.HeaderOnly(P1, 0, 0, transactional: true));
        var continuing = _state.CheckAppend(ProducerBatch.Read(RecordBatchBuilder.HeaderOnly(P1, 0, 1, transactional: true)), AppendOrigin.Client);
        _log.Append(_state, RecordBatchBuilder.Marker(P1, 0, commit: true), AppendOrigin.Coordinator);
        var next = _state.CheckAppend(ProducerBatch.Read(RecordBatchBuilder.HeaderOnly(P1, 0, 1, transactional: true)), AppendOrigin.Client);
        var idempotent = _state.CheckAppend(ProducerBatch.Read(RecordBatchBuilder.HeaderOnly(P1, 0, 1)), AppendOrigin.Client);

        Assert.True(opening.RequiresTransactionVerification);
        Assert.False(continuing.RequiresTransactionVerification);
        Assert.True(next.RequiresTransactionVerification);
        Assert.False(idempotent.RequiresTransactionVerification);
    }

    [Fact]
    public void FencingAbortWithABumpedEpochFencesTheZombieProducer()
    {
        _log.Append(_state, RecordBatchBuilder.HeaderOnly(P1, 0, 0, transactional: true));
        _log.Append(_state, RecordBatchBuilder.Marker(P1, 1, commit: false), AppendOrigin.Coordinator);

        Assert.Equal(ErrorCode.InvalidProducerEpoch, _log.Append(_state, RecordBatchBuilder.HeaderOnly(P1, 0, 1, transactional: true)).Check.Error);
        Assert.Equal([new AbortedTransaction(P1, 0, 1, 2)], _state.AbortedTransactions.GetAbortedTransactions(0, 10));
    }

    [Fact]
    public void ExpiredIdleProducersAreForgottenButOpenTransactionsAreKept()
    {
        var time = new FakeTimeProvider();
        using var directory = new TempDirectory();
        var log = new TestPartition();
        using var state = ProducerStateManager.Open(
            directory.Path, 0, 0, log.ReadFrom, new ProducerStateManagerOptions { ProducerIdExpirationMs = 60_000 }, time);
        log.Append(state, RecordBatchBuilder.HeaderOnly(P1, 0, 0));
        log.Append(state, RecordBatchBuilder.HeaderOnly(P2, 0, 0, transactional: true));

        time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(0, state.RemoveExpiredProducers());
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, state.RemoveExpiredProducers());

        Assert.Null(state.GetEntry(P1));
        Assert.NotNull(state.GetEntry(P2));
    }
}
