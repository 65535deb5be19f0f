using StreamingPipeline.Broker.Log;
using StreamingPipeline.Broker.Transactions;
using StreamingPipeline.Protocol;

namespace StreamingPipeline.Broker.Tests.Transactions;

/// <summary>
/// Crashes the coordinator (dispose mid-way, or a cut transaction log) in every state and checks what the reopened
/// coordinator does: every decided transaction ends exactly as decided, undecided ones stay open with their deadline.
/// </summary>
public sealed class TransactionCoordinatorRecoveryTests : IAsyncLifetime
{
    private const string Id = "copier-3";
    private const int Timeout = 60_000;
    private static readonly TopicPartition[] Outputs = [new TopicPartition("output", 0), new TopicPartition("output", 5)];
    private readonly TempDirectory _directory = new();
    private readonly FakeTimeProvider _time = new();
    private RecordingMarkerWriter _markers = new();
    private TransactionCoordinator _coordinator = null!;
    private long _producerId;

    public async Task InitializeAsync()
    {
        _coordinator = await OpenAsync();
        _producerId = (await _coordinator.InitProducerIdAsync(Id, Timeout)).ProducerId;
    }

    public async Task DisposeAsync()
    {
        await _coordinator.DisposeAsync();
        _directory.Dispose();
    }

    [Fact]
    public async Task CrashInEmptyStateKeepsTheProducerAndItsEpoch()
    {
        await CrashAndReopenAsync();

        var state = _coordinator.GetTransaction(Id)!;
        Assert.Equal((TransactionState.Empty, _producerId, (short)0), (state.State, state.ProducerId, state.ProducerEpoch));
        Assert.Equal(new InitProducerIdResult(ErrorCode.None, _producerId, 1), await _coordinator.InitProducerIdAsync(Id, Timeout));
        Assert.Empty(_markers.Calls);
    }

    [Fact]
    public async Task CrashWithATransactionOpenKeepsItOpenWithItsPartitionsGroupsAndDeadline()
    {
        await _coordinator.AddPartitionsToTxnAsync(Id, _producerId, 0, Outputs);
        await _coordinator.AddOffsetsToTxnAsync(Id, _producerId, 0, "copiers");
        _time.Advance(TimeSpan.FromSeconds(40));

        await CrashAndReopenAsync();

        var state = _coordinator.GetTransaction(Id)!;
        Assert.Equal(TransactionState.Ongoing, state.State);
        Assert.True(state.Partitions.SetEquals(Outputs));
        Assert.True(state.GroupIds.SetEquals(["copiers"]));
        Assert.Empty(_markers.Calls);

        _time.Advance(TimeSpan.FromSeconds(19));
        Assert.Equal(TransactionState.Ongoing, _coordinator.GetTransaction(Id)!.State);
        _time.Advance(TimeSpan.FromSeconds(1));
        await Eventually.TrueAsync(() => _coordinator.GetTransaction(Id)!.State == TransactionState.CompleteAbort, "the original deadline aborts it");
        Assert.Equal(1, Assert.Single(_markers.Calls).ProducerEpoch);
    }

    [Fact]
    public async Task TransactionWhoseDeadlinePassedWhileDownIsAbortedAfterTheRestart()
    {
        await _coordinator.AddPartitionsToTxnAsync(Id, _producerId, 0, Outputs);
        await _coordinator.DisposeAsync();
        _time.Advance(TimeSpan.FromMinutes(5));

        _coordinator = await OpenAsync();
        _time.Advance(TimeSpan.FromMilliseconds(1));

        await Eventually.TrueAsync(() => _coordinator.GetTransaction(Id)!.State == TransactionState.CompleteAbort, "the overdue transaction is aborted");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task CrashAfterTheDecisionBeforeAnyMarkerCompletesTheDecisionOnReopen(bool commit)
    {
        await _coordinator.AddPartitionsToTxnAsync(Id, _producerId, 0, Outputs);
        await _coordinator.AddOffsetsToTxnAsync(Id, _producerId, 0, "copiers");
        _markers.BeforeWrite = (_, cancellationToken) => Task.Delay(System.Threading.Timeout.Infinite, cancellationToken);

        var endTxn = _coordinator.EndTxnAsync(Id, _producerId, 0, commit).AsTask();
        await Eventually.TrueAsync(() => _coordinator.GetTransaction(Id)!.IsCompleting, "the decision is durable");
        await CrashAndReopenAsync();
        await endTxn;

        AssertCompletedOnce(commit, epoch: 0);
        Assert.Equal(ErrorCode.None, await _coordinator.EndTxnAsync(Id, _producerId, 0, commit));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task CrashAfterTheMarkersBeforeCompletionWritesThemAgainAndCompletes(bool commit)
    {
        await _coordinator.AddPartitionsToTxnAsync(Id, _producerId, 0, Outputs);
        await _coordinator.AddOffsetsToTxnAsync(Id, _producerId, 0, "copiers");
        var before = _markers;
        before.AfterWrite = (_, cancellationToken) => Task.Delay(System.Threading.Timeout.Infinite, cancellationToken);

        var endTxn = _coordinator.EndTxnAsync(Id, _producerId, 0, commit).AsTask();
        await Eventually.TrueAsync(() => !before.Calls.IsEmpty, "the markers are written");
        await CrashAndReopenAsync();
        await endTxn;

        Assert.Single(before.Calls);
        AssertCompletedOnce(commit, epoch: 0);
    }

    [Fact]
    public async Task CrashWhileFencingAnOngoingTransactionFinishesTheAbortWithTheFencingEpoch()
    {
        await _coordinator.AddPartitionsToTxnAsync(Id, _producerId, 0, Outputs);
        _markers.BeforeWrite = (_, cancellationToken) => Task.Delay(System.Threading.Timeout.Infinite, cancellationToken);

        var init = _coordinator.InitProducerIdAsync(Id, Timeout).AsTask();
        await Eventually.TrueAsync(() => _coordinator.GetTransaction(Id)!.State == TransactionState.PrepareAbort, "the fencing abort is durable");
        await CrashAndReopenAsync();
        await init;

        var abort = Assert.Single(_markers.Calls);
        Assert.False(abort.Commit);
        Assert.Equal(1, abort.ProducerEpoch);
        Assert.Equal(TransactionState.CompleteAbort, _coordinator.GetTransaction(Id)!.State);
        Assert.Equal(new InitProducerIdResult(ErrorCode.None, _producerId, 2), await _coordinator.InitProducerIdAsync(Id, Timeout));
        Assert.Equal(ErrorCode.ProducerFenced, await _coordinator.EndTxnAsync(Id, _producerId, 0, commit: true));
    }

    [Fact]
    public async Task CompletionCutFromTheLogTailIsRedoneOnReopen()
    {
        await _coordinator.AddPartitionsToTxnAsync(Id, _producerId, 0, Outputs);
        await _coordinator.EndTxnAsync(Id, _producerId, 0, commit: true);
        Assert.Equal(TransactionState.CompleteCommit, _coordinator.GetTransaction(Id)!.State);
        await _coordinator.DisposeAsync();
        await using (var file = new FileStream(Path.Combine(_directory.Path, TransactionLog.FileName), FileMode.Open))
        {
            file.SetLength(file.Length - 4); // the CompleteCommit entry was torn by the crash
        }

        _markers = new RecordingMarkerWriter();
        _coordinator = await OpenAsync();

        AssertCompletedOnce(commit: true, epoch: 0);
    }

    [Fact]
    public async Task MarkersThatKeepFailingAfterARestartAreRetriedInTheBackground()
    {
        await _coordinator.AddPartitionsToTxnAsync(Id, _producerId, 0, Outputs);
        _markers.BeforeWrite = (_, cancellationToken) => Task.Delay(System.Threading.Timeout.Infinite, cancellationToken);
        var endTxn = _coordinator.EndTxnAsync(Id, _producerId, 0, commit: true).AsTask();
        await Eventually.TrueAsync(() => _coordinator.GetTransaction(Id)!.IsCompleting, "the decision is durable");
        await _coordinator.DisposeAsync();
        await endTxn;
        var failures = 1;
        _markers = new RecordingMarkerWriter
        {
            BeforeWrite = (_, _) => Interlocked.Decrement(ref failures) >= 0 ? throw new IOException("not yet") : Task.CompletedTask,
        };

        _coordinator = await OpenAsync();
        Assert.Equal(TransactionState.PrepareCommit, _coordinator.GetTransaction(Id)!.State);

        await Eventually.TrueAsync(
            () =>
            {
                _time.Advance(TimeSpan.FromMilliseconds(250));
                return _coordinator.GetTransaction(Id)!.State == TransactionState.CompleteCommit;
            },
            "the retry completes the commit");
        Assert.True(Assert.Single(_markers.Calls).Commit);
    }

    private static TransactionState ExpectedState(bool commit) => commit ? TransactionState.CompleteCommit : TransactionState.CompleteAbort;

    private void AssertCompletedOnce(bool commit, short epoch)
    {
        var call = Assert.Single(_markers.Calls);
        Assert.Equal((commit, _producerId, epoch), (call.Commit, call.ProducerId, call.ProducerEpoch));
        Assert.True(call.Partitions.SetEquals(Outputs));
        var state = _coordinator.GetTransaction(Id)!;
        Assert.Equal(ExpectedState(commit), state.State);
        Assert.Empty(state.Partitions);
    }

    private Task<TransactionCoordinator> OpenAsync() =>
        TransactionCoordinator.OpenAsync(new TransactionCoordinatorOptions { Directory = _directory.Path }, _markers, _time);

    private async Task CrashAndReopenAsync()
    {
        await _coordinator.DisposeAsync();
        _markers = new RecordingMarkerWriter();
        _coordinator = await OpenAsync();
    }
}
