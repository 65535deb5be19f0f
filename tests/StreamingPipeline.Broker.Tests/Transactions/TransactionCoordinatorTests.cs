using System.Collections.Immutable;
using StreamingPipeline.Broker.Log;
using StreamingPipeline.Broker.Transactions;
using StreamingPipeline.Protocol;

namespace StreamingPipeline.Broker.Tests.Transactions;

public sealed class TransactionCoordinatorTests : IAsyncLifetime
{
    private const string Id = "dedup-task-0";
    private const int Timeout = 60_000;
    private static readonly TopicPartition[] Outputs = [new TopicPartition("output", 0), new TopicPartition("output", 1)];
    private readonly TempDirectory _directory = new();
    private readonly FakeTimeProvider _time = new();
    private RecordingMarkerWriter _markers = new();
    private TransactionCoordinator _coordinator = null!;

    public async Task InitializeAsync() => _coordinator = await OpenAsync();

    public async Task DisposeAsync()
    {
        await _coordinator.DisposeAsync();
        _directory.Dispose();
    }

    [Fact]
    public async Task ProducersWithoutATransactionalIdGetFreshIdsAtEpochZero()
    {
        var first = await _coordinator.InitProducerIdAsync(null, 0);
        var second = await _coordinator.InitProducerIdAsync(null, 0);

        Assert.Equal(ErrorCode.None, first.Error);
        Assert.Equal(0, first.ProducerEpoch);
        Assert.Equal(0, second.ProducerEpoch);
        Assert.NotEqual(first.ProducerId, second.ProducerId);
        Assert.Empty(_coordinator.Transactions);
    }

    [Fact]
    public async Task EachInitProducerIdKeepsTheIdAndBumpsTheEpoch()
    {
        var first = await _coordinator.InitProducerIdAsync(Id, Timeout);
        var second = await _coordinator.InitProducerIdAsync(Id, Timeout);

        Assert.Equal(new InitProducerIdResult(ErrorCode.None, first.ProducerId, 0), first);
        Assert.Equal(new InitProducerIdResult(ErrorCode.None, first.ProducerId, 1), second);
        Assert.Equal(TransactionState.Empty, _coordinator.GetTransaction(Id)!.State);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    [InlineData(900_001)]
    public async Task TimeoutOutsideTheAllowedRangeIsRejected(int timeoutMs)
    {
        Assert.Equal(ErrorCode.InvalidTransactionTimeout, (await _coordinator.InitProducerIdAsync(Id, timeoutMs)).Error);
        Assert.Null(_coordinator.GetTransaction(Id));
    }

    [Fact]
    public async Task EmptyTransactionalIdOrHalfAnExpectedProducerIsAnInvalidRequest()
    {
        Assert.Equal(ErrorCode.InvalidRequest, (await _coordinator.InitProducerIdAsync("", Timeout)).Error);
        Assert.Equal(ErrorCode.InvalidRequest, (await _coordinator.InitProducerIdAsync(Id, Timeout, expectedProducerId: 4)).Error);
        Assert.Equal(ErrorCode.InvalidRequest, await _coordinator.EndTxnAsync("", 1, 0, commit: true));
    }

    [Fact]
    public async Task CommitGoesThroughEveryStateAndWritesCommitMarkersToEveryPartitionAndGroup()
    {
        var producer = await _coordinator.InitProducerIdAsync(Id, Timeout);

        Assert.Equal(ErrorCode.None, await _coordinator.AddPartitionsToTxnAsync(Id, producer.ProducerId, 0, [Outputs[0]]));
        var ongoing = _coordinator.GetTransaction(Id)!;
        Assert.Equal(TransactionState.Ongoing, ongoing.State);
        Assert.Equal(_time.GetUtcNow().ToUnixTimeMilliseconds(), ongoing.TransactionStartMs);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(ErrorCode.None, await _coordinator.AddPartitionsToTxnAsync(Id, producer.ProducerId, 0, Outputs));
        Assert.Equal(ErrorCode.None, await _coordinator.AddOffsetsToTxnAsync(Id, producer.ProducerId, 0, "dedup"));
        Assert.Equal(ongoing.TransactionStartMs, _coordinator.GetTransaction(Id)!.TransactionStartMs);

        Assert.Equal(ErrorCode.None, await _coordinator.EndTxnAsync(Id, producer.ProducerId, 0, commit: true));

        var call = Assert.Single(_markers.Calls);
        Assert.Equal(producer.ProducerId, call.ProducerId);
        Assert.Equal(0, call.ProducerEpoch);
        Assert.True(call.Commit);
        Assert.True(call.Partitions.SetEquals(Outputs));
        Assert.True(call.GroupIds.SetEquals(["dedup"]));
        var completed = _coordinator.GetTransaction(Id)!;
        Assert.Equal(TransactionState.CompleteCommit, completed.State);
        Assert.Empty(completed.Partitions);
        Assert.Empty(completed.GroupIds);
    }

    [Fact]
    public async Task NextTransactionStartsFromNothingAfterACommit()
    {
        var producer = await _coordinator.InitProducerIdAsync(Id, Timeout);
        await _coordinator.AddPartitionsToTxnAsync(Id, producer.ProducerId, 0, Outputs);
        await _coordinator.EndTxnAsync(Id, producer.ProducerId, 0, commit: true);

        await _coordinator.AddPartitionsToTxnAsync(Id, producer.ProducerId, 0, [new TopicPartition("output", 7)]);
        await _coordinator.EndTxnAsync(Id, producer.ProducerId, 0, commit: false);

        var second = _markers.Calls.Last();
        Assert.False(second.Commit);
        Assert.True(second.Partitions.SetEquals([new TopicPartition("output", 7)]));
        Assert.Equal(TransactionState.CompleteAbort, _coordinator.GetTransaction(Id)!.State);
    }

    [Fact]
    public async Task RetriedEndTxnIsAcknowledgedOnlyForTheSameOutcome()
    {
        var producer = await _coordinator.InitProducerIdAsync(Id, Timeout);
        await _coordinator.AddPartitionsToTxnAsync(Id, producer.ProducerId, 0, Outputs);
        await _coordinator.EndTxnAsync(Id, producer.ProducerId, 0, commit: true);

        Assert.Equal(ErrorCode.None, await _coordinator.EndTxnAsync(Id, producer.ProducerId, 0, commit: true));
        Assert.Equal(ErrorCode.InvalidTxnState, await _coordinator.EndTxnAsync(Id, producer.ProducerId, 0, commit: false));
        Assert.Single(_markers.Calls);
    }

    [Fact]
    public async Task RequestsFromTheWrongProducerAreRefusedAsKafkaDoes()
    {
        var producer = await _coordinator.InitProducerIdAsync(Id, Timeout);
        var pid = producer.ProducerId;

        Assert.Equal(ErrorCode.InvalidProducerIdMapping, await _coordinator.AddPartitionsToTxnAsync("unknown", pid, 0, Outputs));
        Assert.Equal(ErrorCode.InvalidProducerIdMapping, await _coordinator.AddPartitionsToTxnAsync(Id, pid + 1, 0, Outputs));
        Assert.Equal(ErrorCode.ProducerFenced, await _coordinator.AddPartitionsToTxnAsync(Id, pid, 1, Outputs));
        Assert.Equal(ErrorCode.ProducerFenced, await _coordinator.AddOffsetsToTxnAsync(Id, pid, 1, "g"));
        Assert.Equal(ErrorCode.InvalidTxnState, await _coordinator.EndTxnAsync(Id, pid, 0, commit: true));
        Assert.Equal(ErrorCode.InvalidProducerIdMapping, await _coordinator.EndTxnAsync("unknown", pid, 0, commit: true));
        Assert.Empty(_markers.Calls);
    }

    [Fact]
    public async Task NewIncarnationAbortsTheOngoingTransactionAndFencesTheOldOneEverywhere()
    {
        var old = await _coordinator.InitProducerIdAsync(Id, Timeout);
        await _coordinator.AddPartitionsToTxnAsync(Id, old.ProducerId, 0, Outputs);
        await _coordinator.AddOffsetsToTxnAsync(Id, old.ProducerId, 0, "dedup");

        var fresh = await _coordinator.InitProducerIdAsync(Id, Timeout);

        Assert.Equal(new InitProducerIdResult(ErrorCode.None, old.ProducerId, 2), fresh);
        var abort = Assert.Single(_markers.Calls);
        Assert.False(abort.Commit);
        Assert.Equal(1, abort.ProducerEpoch); // the fencing epoch, never handed to a client
        Assert.True(abort.Partitions.SetEquals(Outputs));
        Assert.True(abort.GroupIds.SetEquals(["dedup"]));
        Assert.Equal(ErrorCode.ProducerFenced, await _coordinator.AddPartitionsToTxnAsync(Id, old.ProducerId, 0, Outputs));
        Assert.Equal(ErrorCode.ProducerFenced, await _coordinator.AddOffsetsToTxnAsync(Id, old.ProducerId, 0, "dedup"));
        Assert.Equal(ErrorCode.ProducerFenced, await _coordinator.EndTxnAsync(Id, old.ProducerId, 0, commit: true));
        Assert.Equal(ErrorCode.InvalidProducerEpoch, _coordinator.VerifyPartitionInTransaction(Id, old.ProducerId, 0, "output", 0));
        Assert.Equal(ErrorCode.InvalidProducerEpoch, _coordinator.VerifyGroupInTransaction(Id, old.ProducerId, 0, "dedup"));
    }

    [Fact]
    public async Task RequestsWhileMarkersAreBeingWrittenAreToldToRetry()
    {
        var producer = await _coordinator.InitProducerIdAsync(Id, Timeout);
        await _coordinator.AddPartitionsToTxnAsync(Id, producer.ProducerId, 0, Outputs);
        await _coordinator.AddOffsetsToTxnAsync(Id, producer.ProducerId, 0, "dedup");
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _markers.BeforeWrite = (_, _) => release.Task;

        var endTxn = _coordinator.EndTxnAsync(Id, producer.ProducerId, 0, commit: true).AsTask();
        await Eventually.TrueAsync(() => _coordinator.GetTransaction(Id)!.State == TransactionState.PrepareCommit, "the commit is decided");

        Assert.Equal(ErrorCode.ConcurrentTransactions, await _coordinator.AddPartitionsToTxnAsync(Id, producer.ProducerId, 0, Outputs));
        Assert.Equal(ErrorCode.ConcurrentTransactions, await _coordinator.AddOffsetsToTxnAsync(Id, producer.ProducerId, 0, "dedup"));
        Assert.Equal(ErrorCode.ConcurrentTransactions, await _coordinator.EndTxnAsync(Id, producer.ProducerId, 0, commit: true));
        Assert.Equal(ErrorCode.InvalidTxnState, await _coordinator.EndTxnAsync(Id, producer.ProducerId, 0, commit: false));
        Assert.Equal(ErrorCode.ConcurrentTransactions, (await _coordinator.InitProducerIdAsync(Id, Timeout)).Error);
        Assert.Equal(ErrorCode.NotEnoughReplicas, _coordinator.VerifyPartitionInTransaction(Id, producer.ProducerId, 0, "output", 0));
        Assert.Equal(ErrorCode.CoordinatorNotAvailable, _coordinator.VerifyGroupInTransaction(Id, producer.ProducerId, 0, "dedup"));
        Assert.False(endTxn.IsCompleted);

        release.SetResult();

        Assert.Equal(ErrorCode.None, await endTxn);
        Assert.Equal(TransactionState.CompleteCommit, _coordinator.GetTransaction(Id)!.State);
    }

    [Fact]
    public async Task ProducePathVerificationFollowsTheTransactionsPartitions()
    {
        var producer = await _coordinator.InitProducerIdAsync(Id, Timeout);
        var pid = producer.ProducerId;

        Assert.Equal(ErrorCode.InvalidTxnState, _coordinator.VerifyPartitionInTransaction(Id, pid, 0, "output", 0));
        await _coordinator.AddPartitionsToTxnAsync(Id, pid, 0, [Outputs[0]]);
        Assert.Equal(ErrorCode.None, _coordinator.VerifyPartitionInTransaction(Id, pid, 0, "output", 0));
        Assert.Equal(ErrorCode.InvalidTxnState, _coordinator.VerifyPartitionInTransaction(Id, pid, 0, "output", 1));
        Assert.Equal(ErrorCode.InvalidProducerIdMapping, _coordinator.VerifyPartitionInTransaction("other", pid, 0, "output", 0));
        Assert.Equal(ErrorCode.InvalidProducerIdMapping, _coordinator.VerifyPartitionInTransaction(Id, pid + 1, 0, "output", 0));
        Assert.Equal(ErrorCode.InvalidTxnState, _coordinator.VerifyGroupInTransaction(Id, pid, 0, "dedup"));
        await _coordinator.AddOffsetsToTxnAsync(Id, pid, 0, "dedup");
        Assert.Equal(ErrorCode.None, _coordinator.VerifyGroupInTransaction(Id, pid, 0, "dedup"));

        await _coordinator.EndTxnAsync(Id, pid, 0, commit: true);

        Assert.Equal(ErrorCode.InvalidTxnState, _coordinator.VerifyPartitionInTransaction(Id, pid, 0, "output", 0));
        Assert.Equal(ErrorCode.InvalidTxnState, _coordinator.VerifyGroupInTransaction(Id, pid, 0, "dedup"));
    }

    [Fact]
    public async Task ExpectedProducerMayBumpItsOwnEpochAndRetryTheBump()
    {
        var producer = await _coordinator.InitProducerIdAsync(Id, Timeout);
        var pid = producer.ProducerId;

        var bumped = await _coordinator.InitProducerIdAsync(Id, Timeout, pid, 0);
        var retried = await _coordinator.InitProducerIdAsync(Id, Timeout, pid, 0);

        Assert.Equal(new InitProducerIdResult(ErrorCode.None, pid, 1), bumped);
        Assert.Equal(bumped, retried);
        Assert.Equal(ErrorCode.ProducerFenced, (await _coordinator.InitProducerIdAsync(Id, Timeout, pid, 5)).Error);
        Assert.Equal(ErrorCode.ProducerFenced, (await _coordinator.InitProducerIdAsync(Id, Timeout, pid + 100, 1)).Error);
    }

    [Fact]
    public async Task ExhaustedEpochRotatesToANewProducerId()
    {
        await _coordinator.DisposeAsync();
        var (log, _) = await TransactionLog.OpenAsync(_directory.Path, flushToDisk: false);
        await log.AppendAsync(new TransactionMetadata(
            Id, 5, -1, short.MaxValue - 1, -1, Timeout, TransactionState.CompleteCommit, [],
            ImmutableHashSet<string>.Empty, -1, _time.GetUtcNow().ToUnixTimeMilliseconds()));
        await log.DisposeAsync();
        _coordinator = await OpenAsync();

        var rotated = await _coordinator.InitProducerIdAsync(Id, Timeout, expectedProducerId: 5, expectedProducerEpoch: short.MaxValue - 1);
        var retried = await _coordinator.InitProducerIdAsync(Id, Timeout, expectedProducerId: 5, expectedProducerEpoch: short.MaxValue - 1);

        Assert.Equal(ErrorCode.None, rotated.Error);
        Assert.NotEqual(5, rotated.ProducerId);
        Assert.Equal(0, rotated.ProducerEpoch);
        Assert.Equal(rotated, retried);
        Assert.Equal(5, _coordinator.GetTransaction(Id)!.PreviousProducerId);
    }

    [Fact]
    public async Task EpochBumpedToTheLastUsableValueIsFollowedByANewProducerId()
    {
        await _coordinator.DisposeAsync();
        var (log, _) = await TransactionLog.OpenAsync(_directory.Path, flushToDisk: false);
        await log.AppendAsync(new TransactionMetadata(
            Id, 5, -1, short.MaxValue - 2, -1, Timeout, TransactionState.Empty, [], ImmutableHashSet<string>.Empty, -1, _time.GetUtcNow().ToUnixTimeMilliseconds()));
        await log.DisposeAsync();
        _coordinator = await OpenAsync();

        var last = await _coordinator.InitProducerIdAsync(Id, Timeout);
        var next = await _coordinator.InitProducerIdAsync(Id, Timeout);

        Assert.Equal(new InitProducerIdResult(ErrorCode.None, 5, short.MaxValue - 1), last);
        Assert.NotEqual(5, next.ProducerId);
        Assert.Equal(0, next.ProducerEpoch);
    }

    [Fact]
    public async Task TransactionPastItsTimeoutIsAbortedAndItsProducerFenced()
    {
        var producer = await _coordinator.InitProducerIdAsync(Id, 1_000);
        await _coordinator.AddPartitionsToTxnAsync(Id, producer.ProducerId, 0, Outputs);

        _time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.Equal(TransactionState.Ongoing, _coordinator.GetTransaction(Id)!.State);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        await Eventually.TrueAsync(() => _coordinator.GetTransaction(Id)!.State == TransactionState.CompleteAbort, "the timed-out transaction is aborted");

        var abort = Assert.Single(_markers.Calls);
        Assert.False(abort.Commit);
        Assert.Equal(1, abort.ProducerEpoch);
        Assert.True(abort.Partitions.SetEquals(Outputs));
        Assert.Equal(ErrorCode.ProducerFenced, await _coordinator.EndTxnAsync(Id, producer.ProducerId, 0, commit: true));
        Assert.Equal(ErrorCode.ProducerFenced, await _coordinator.AddPartitionsToTxnAsync(Id, producer.ProducerId, 0, Outputs));
        Assert.Equal(new InitProducerIdResult(ErrorCode.None, producer.ProducerId, 2), await _coordinator.InitProducerIdAsync(Id, 1_000));
    }

    [Fact]
    public async Task TimeoutCountsFromTheFirstPartitionNotFromTheLastAddition()
    {
        var producer = await _coordinator.InitProducerIdAsync(Id, 1_000);
        await _coordinator.AddPartitionsToTxnAsync(Id, producer.ProducerId, 0, [Outputs[0]]);
        _time.Advance(TimeSpan.FromMilliseconds(600));
        await _coordinator.AddPartitionsToTxnAsync(Id, producer.ProducerId, 0, [Outputs[1]]);

        _time.Advance(TimeSpan.FromMilliseconds(400));

        await Eventually.TrueAsync(() => _coordinator.GetTransaction(Id)!.State == TransactionState.CompleteAbort, "the transaction is aborted");
    }

    [Fact]
    public async Task CommittedTransactionDoesNotTimeOut()
    {
        var producer = await _coordinator.InitProducerIdAsync(Id, 1_000);
        await _coordinator.AddPartitionsToTxnAsync(Id, producer.ProducerId, 0, Outputs);
        await _coordinator.EndTxnAsync(Id, producer.ProducerId, 0, commit: true);

        _time.Advance(TimeSpan.FromSeconds(5));
        await _coordinator.AddPartitionsToTxnAsync(Id, producer.ProducerId, 0, Outputs); // the next transaction, due a second from now

        Assert.Equal(TransactionState.Ongoing, _coordinator.GetTransaction(Id)!.State);
        Assert.Equal(0, _coordinator.GetTransaction(Id)!.ProducerEpoch);
        Assert.Single(_markers.Calls);
    }

    [Fact]
    public async Task FailedMarkersAreRetriedUntilTheTransactionCompletes()
    {
        var producer = await _coordinator.InitProducerIdAsync(Id, Timeout);
        await _coordinator.AddPartitionsToTxnAsync(Id, producer.ProducerId, 0, Outputs);
        var failures = 2;
        _markers.BeforeWrite = (_, _) => Interlocked.Decrement(ref failures) >= 0
            ? throw new IOException("partition log unavailable")
            : Task.CompletedTask;

        Assert.Equal(ErrorCode.None, await _coordinator.EndTxnAsync(Id, producer.ProducerId, 0, commit: true));
        Assert.Equal(TransactionState.PrepareCommit, _coordinator.GetTransaction(Id)!.State);

        await Eventually.TrueAsync(
            () =>
            {
                _time.Advance(TimeSpan.FromMilliseconds(250));
                return _coordinator.GetTransaction(Id)!.State == TransactionState.CompleteCommit;
            },
            "the markers are written on a retry");
        Assert.Equal(3, _markers.Attempts);
        Assert.True(Assert.Single(_markers.Calls).Commit);
    }

    [Fact]
    public async Task IdleTransactionalIdsExpireAndStayForgottenAfterARestart()
    {
        await _coordinator.DisposeAsync();
        _coordinator = await OpenAsync(new TransactionCoordinatorOptions { Directory = _directory.Path, TransactionalIdExpirationMs = 10_000 });
        var busy = await _coordinator.InitProducerIdAsync("busy", Timeout);
        await _coordinator.InitProducerIdAsync(Id, Timeout);
        _time.Advance(TimeSpan.FromSeconds(5));
        await _coordinator.AddPartitionsToTxnAsync("busy", busy.ProducerId, 0, Outputs);

        _time.Advance(TimeSpan.FromSeconds(5));
        await Eventually.TrueAsync(() => _coordinator.GetTransaction(Id) is null, "the idle id expires");
        Assert.NotNull(_coordinator.GetTransaction("busy"));

        await RestartAsync();
        Assert.Null(_coordinator.GetTransaction(Id));
        Assert.Equal(TransactionState.Ongoing, _coordinator.GetTransaction("busy")!.State);
    }

    [Fact]
    public async Task ProducerIdsAreUniqueAcrossRestarts()
    {
        var seen = new HashSet<long>();
        for (var run = 0; run < 3; run++)
        {
            for (var i = 0; i < 5; i++)
            {
                Assert.True(seen.Add((await _coordinator.InitProducerIdAsync(null, 0)).ProducerId));
                Assert.True(seen.Add((await _coordinator.InitProducerIdAsync($"txn-{run}-{i}", Timeout)).ProducerId));
            }
            await RestartAsync();
        }
    }

    [Fact]
    public async Task TransactionLogIsCompactedWhileRunning()
    {
        await _coordinator.DisposeAsync();
        _coordinator = await OpenAsync(new TransactionCoordinatorOptions { Directory = _directory.Path, CompactionMinEntries = 20 });
        var producer = await _coordinator.InitProducerIdAsync(Id, Timeout);
        for (var i = 0; i < 30; i++)
        {
            await _coordinator.AddPartitionsToTxnAsync(Id, producer.ProducerId, 0, Outputs);
            await _coordinator.EndTxnAsync(Id, producer.ProducerId, 0, commit: i % 2 == 0);
        }
        var logSize = new FileInfo(Path.Combine(_directory.Path, TransactionLog.FileName)).Length;

        await RestartAsync();

        Assert.True(logSize < 20 * 200, $"the log should have been compacted, is {logSize} bytes");
        Assert.Equal(TransactionState.CompleteAbort, _coordinator.GetTransaction(Id)!.State);
    }

    private Task<TransactionCoordinator> OpenAsync(TransactionCoordinatorOptions? options = null) =>
        TransactionCoordinator.OpenAsync(options ?? new TransactionCoordinatorOptions { Directory = _directory.Path }, _markers, _time);

    private async Task RestartAsync()
    {
        await _coordinator.DisposeAsync();
        _markers = new RecordingMarkerWriter();
        _coordinator = await OpenAsync();
    }
}
