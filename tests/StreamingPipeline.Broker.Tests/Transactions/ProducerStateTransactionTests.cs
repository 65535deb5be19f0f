using StreamingPipeline.Broker.Transactions;
using StreamingPipeline.Protocol;

using StreamingPipeline.Broker.Log;

namespace StreamingPipeline.Broker.Tests.Transactions;

public sealed class ProducerStateTransactionTests : IAsyncLifetime
{
    private const long P1 = 1;
    private const long P2 = 2;
    private readonly TempDirectory _directory = new();
    private readonly TestPartition _log = new();
    private ProducerStateManager _state = null!;

    public async Task InitializeAsync() => _state = await ProducerStateManager.OpenAsync(_directory.Path, 0, 0, _log.ReadFrom);

    public async Task DisposeAsync()
    {
        await _state.DisposeAsync();
        _directory.Dispose();
    }

    [Fact]
    public async Task OpenTransactionHoldsTheLastStableOffsetAtItsFirstOffset()
    {
        await _log.AppendAsync(_state, TestBatches.Plain(recordCount: 2));                           // 0-1
        await _log.AppendAsync(_state, TestBatches.Data(P1, 0, 0, recordCount: 2, transactional: true)); // 2-3
        await _log.AppendAsync(_state, TestBatches.Plain());                                          // 4

        Assert.True(_state.HasOngoingTransaction(P1));
        Assert.Equal(2, _state.FirstUnstableOffset);
        Assert.Equal(2, _state.LastStableOffset(highWatermark: 5));
        Assert.Equal(1, _state.LastStableOffset(highWatermark: 1));
    }

    [Fact]
    public async Task CommitMarkerReleasesTheLastStableOffsetOnceTheHighWatermarkPassesIt()
    {
        await _log.AppendAsync(_state, TestBatches.Data(P1, 0, 0, recordCount: 2, transactional: true)); // 0-1
        await _log.AppendAsync(_state, TestBatches.Plain());                                          // 2

        var marker = TestBatches.Marker(P1, 0, commit: true);
        Assert.True(_state.CheckAppend(ProducerBatch.Read(marker), AppendOrigin.Coordinator).ShouldAppend);
        await _log.AppendAsync(_state, marker, AppendOrigin.Coordinator);                             // 3

        Assert.False(_state.HasOngoingTransaction(P1));
        Assert.Equal(0, _state.LastStableOffset(highWatermark: 3)); // the marker is not below the high watermark yet
        _state.OnHighWatermarkUpdated(4);
        Assert.Null(_state.FirstUnstableOffset);
        Assert.Equal(4, _state.LastStableOffset(highWatermark: 4));
        Assert.Equal(0, _state.AbortedTransactions.Count);
    }

    [Fact]
    public async Task MarkerReturnsTheCompletedTransaction()
    {
        await _log.AppendAsync(_state, TestBatches.Data(P1, 0, 0, recordCount: 3, transactional: true)); // 0-2
        var stored = ControlBatch.Build(P1, 0, ControlRecordType.Abort, 0, 1, baseOffset: 3);

        var completed = await _state.RecordAppendAsync(ProducerBatch.Read(stored));

        Assert.Equal(new CompletedTransaction(P1, 0, 3, IsAborted: true), completed);
    }

    [Fact]
    public async Task AbortIsIndexedWithTheLastStableOffsetOfThatMoment()
    {
        await _log.AppendAsync(_state, TestBatches.Data(P1, 0, 0, transactional: true));  // 0
        await _log.AppendAsync(_state, TestBatches.Data(P2, 0, 0, transactional: true));  // 1
        await _log.AppendAsync(_state, TestBatches.Data(P1, 0, 1, transactional: true));  // 2
        await _log.AppendAsync(_state, TestBatches.Marker(P1, 0, commit: false), AppendOrigin.Coordinator); // 3
        await _log.AppendAsync(_state, TestBatches.Marker(P2, 0, commit: false), AppendOrigin.Coordinator); // 4

        Assert.Equal(
            [new AbortedTransaction(P1, 0, 3, LastStableOffset: 1), new AbortedTransaction(P2, 1, 4, LastStableOffset: 5)],
            _state.AbortedTransactions.GetAbortedTransactions(0, 5));
    }

    [Fact]
    public async Task LastStableOffsetIsTheEarliestOfSeveralOpenTransactions()
    {
        await _log.AppendAsync(_state, TestBatches.Data(P1, 0, 0, transactional: true));  // 0
        await _log.AppendAsync(_state, TestBatches.Data(P2, 0, 0, transactional: true));  // 1
        await _log.AppendAsync(_state, TestBatches.Marker(P1, 0, commit: true), AppendOrigin.Coordinator); // 2
        _state.OnHighWatermarkUpdated(3);

        Assert.Equal(1, _state.LastStableOffset(3));

        await _log.AppendAsync(_state, TestBatches.Data(P1, 0, 1, transactional: true));  // 3, a new transaction of P1
        await _log.AppendAsync(_state, TestBatches.Marker(P2, 0, commit: true), AppendOrigin.Coordinator); // 4
        _state.OnHighWatermarkUpdated(5);

        Assert.Equal(3, _state.LastStableOffset(5));
    }

    [Fact]
    public async Task MarkerWithoutAnOpenTransactionIsHarmlessButFencesOlderEpochs()
    {
        await _log.AppendAsync(_state, TestBatches.Data(P1, 0, 0));
        var (check, _) = await _log.AppendAsync(_state, TestBatches.Marker(P1, 1, commit: false), AppendOrigin.Coordinator);

        Assert.True(check.ShouldAppend);
        Assert.Null(_state.FirstUnstableOffset);
        Assert.Equal(0, _state.AbortedTransactions.Count);
        Assert.Equal(ErrorCode.InvalidProducerEpoch, (await _log.AppendAsync(_state, TestBatches.Data(P1, 0, 1))).Check.Error);
    }

    [Fact]
    public async Task OnlyTheBatchThatOpensATransactionNeedsVerification()
    {
        var opening = _state.CheckAppend(ProducerBatch.Read(TestBatches.Data(P1, 0, 0, transactional: true)), AppendOrigin.Client);
        await _log.AppendAsync(_state, TestBatches.Data(P1, 0, 0, transactional: true));
        var continuing = _state.CheckAppend(ProducerBatch.Read(TestBatches.Data(P1, 0, 1, transactional: true)), AppendOrigin.Client);
        await _log.AppendAsync(_state, TestBatches.Marker(P1, 0, commit: true), AppendOrigin.Coordinator);
        var next = _state.CheckAppend(ProducerBatch.Read(TestBatches.Data(P1, 0, 1, transactional: true)), AppendOrigin.Client);
        var idempotent = _state.CheckAppend(ProducerBatch.Read(TestBatches.Data(P1, 0, 1)), AppendOrigin.Client);

        Assert.True(opening.RequiresTransactionVerification);
        Assert.False(continuing.RequiresTransactionVerification);
        Assert.True(next.RequiresTransactionVerification);
        Assert.False(idempotent.RequiresTransactionVerification);
    }

    [Fact]
    public async Task FencingAbortWithABumpedEpochFencesTheZombieProducer()
    {
        await _log.AppendAsync(_state, TestBatches.Data(P1, 0, 0, transactional: true));
        await _log.AppendAsync(_state, TestBatches.Marker(P1, 1, commit: false), AppendOrigin.Coordinator);

        Assert.Equal(ErrorCode.InvalidProducerEpoch, (await _log.AppendAsync(_state, TestBatches.Data(P1, 0, 1, transactional: true))).Check.Error);
        Assert.Equal([new AbortedTransaction(P1, 0, 1, 2)], _state.AbortedTransactions.GetAbortedTransactions(0, 10));
    }

    [Fact]
    public async Task ExpiredIdleProducersAreForgottenButOpenTransactionsAreKept()
    {
        var time = new ManualTimeProvider();
        using var directory = new TempDirectory();
        var log = new TestPartition();
        await using var state = await ProducerStateManager.OpenAsync(
            directory.Path, 0, 0, log.ReadFrom, new ProducerStateManagerOptions { ProducerIdExpirationMs = 60_000 }, time);
        await log.AppendAsync(state, TestBatches.Data(P1, 0, 0));
        await log.AppendAsync(state, TestBatches.Data(P2, 0, 0, transactional: true));

        time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(0, state.RemoveExpiredProducers());
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, state.RemoveExpiredProducers());

        Assert.Null(state.GetEntry(P1));
        Assert.NotNull(state.GetEntry(P2));
    }
}
