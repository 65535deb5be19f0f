using StreamingPipeline.Broker.Transactions;
using StreamingPipeline.Protocol;

using StreamingPipeline.Broker.Log;

namespace StreamingPipeline.Broker.Tests.Transactions;

public sealed class ProducerStateSequenceTests : IAsyncLifetime
{
    private const long Producer = 1000;
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
    public async Task InOrderBatchesAreAppended()
    {
        var first = await _log.AppendAsync(_state, TestBatches.Data(Producer, 0, 0, recordCount: 3));
        var second = await _log.AppendAsync(_state, TestBatches.Data(Producer, 0, 3, recordCount: 2));
        var third = await _log.AppendAsync(_state, TestBatches.Data(Producer, 0, 5));

        Assert.True(first.Check.ShouldAppend && second.Check.ShouldAppend && third.Check.ShouldAppend);
        Assert.Equal([0L, 3L, 5L], [first.BaseOffset, second.BaseOffset, third.BaseOffset]);
        Assert.Equal(5, _state.GetEntry(Producer)!.LastSequence);
        Assert.Equal(6, _state.MapEndOffset);
    }

    [Fact]
    public async Task EachOfTheLastFiveBatchesIsAcknowledgedAsADuplicateWithItsOriginalOffsets()
    {
        var sent = new List<(byte[] Batch, long BaseOffset, int Records)>();
        var sequence = 0;
        for (var i = 0; i < ProducerStateManager.BatchesToRetain; i++)
        {
            var records = i + 1;
            var batch = TestBatches.Data(Producer, 0, sequence, records, timestamp: 5_000 + i);
            sent.Add((batch, (await _log.AppendAsync(_state, batch)).BaseOffset, records));
            sequence += records;
        }
        var endBefore = _log.EndOffset;

        for (var i = 0; i < sent.Count; i++)
        {
            var (check, _) = await _log.AppendAsync(_state, sent[i].Batch);

            Assert.True(check.IsDuplicate, $"batch {i} should be a duplicate");
            Assert.Equal(ErrorCode.None, check.Error);
            Assert.Equal(sent[i].BaseOffset, check.DuplicateFirstOffset);
            Assert.Equal(sent[i].BaseOffset + sent[i].Records - 1, check.DuplicateLastOffset);
            Assert.Equal(5_000 + i, check.DuplicateTimestamp);
        }
        Assert.Equal(endBefore, _log.EndOffset);
    }

    [Fact]
    public async Task BatchOlderThanTheLastFiveIsOutOfOrderRatherThanADuplicate()
    {
        var first = TestBatches.Data(Producer, 0, 0);
        await _log.AppendAsync(_state, first);
        for (var sequence = 1; sequence <= ProducerStateManager.BatchesToRetain; sequence++)
        {
            await _log.AppendAsync(_state, TestBatches.Data(Producer, 0, sequence));
        }

        var (check, _) = await _log.AppendAsync(_state, first);

        Assert.False(check.IsDuplicate);
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, check.Error);
    }

    [Fact]
    public async Task SequenceGapIsRejectedAndNothingIsStored()
    {
        await _log.AppendAsync(_state, TestBatches.Data(Producer, 0, 0));

        var (check, _) = await _log.AppendAsync(_state, TestBatches.Data(Producer, 0, 2));

        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, check.Error);
        Assert.Equal(1, _log.EndOffset);
        Assert.True((await _log.AppendAsync(_state, TestBatches.Data(Producer, 0, 1))).Check.ShouldAppend);
    }

    [Fact]
    public async Task RetryWithADifferentSequenceRangeIsNotADuplicate()
    {
        await _log.AppendAsync(_state, TestBatches.Data(Producer, 0, 0, recordCount: 1));

        var (check, _) = await _log.AppendAsync(_state, TestBatches.Data(Producer, 0, 0, recordCount: 2));

        Assert.False(check.IsDuplicate);
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, check.Error);
    }

    [Fact]
    public async Task BumpedEpochRestartsSequencesAtZero()
    {
        for (var sequence = 0; sequence < 10; sequence++)
        {
            await _log.AppendAsync(_state, TestBatches.Data(Producer, 0, sequence));
        }

        Assert.True((await _log.AppendAsync(_state, TestBatches.Data(Producer, 1, 0))).Check.ShouldAppend);
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, (await _log.AppendAsync(_state, TestBatches.Data(Producer, 2, 3))).Check.Error);
        Assert.Equal(1, _state.GetEntry(Producer)!.ProducerEpoch);
    }

    [Fact]
    public async Task OldEpochIsFencedEvenForABatchThatWasOnceStored()
    {
        var old = TestBatches.Data(Producer, 0, 0);
        await _log.AppendAsync(_state, old);
        await _log.AppendAsync(_state, TestBatches.Data(Producer, 1, 0));

        Assert.Equal(ErrorCode.InvalidProducerEpoch, (await _log.AppendAsync(_state, old)).Check.Error);
        Assert.Equal(ErrorCode.InvalidProducerEpoch, (await _log.AppendAsync(_state, TestBatches.Data(Producer, 0, 1))).Check.Error);
    }

    [Fact]
    public async Task SequenceWrapsFromIntMaxValueToZero()
    {
        var wrapping = TestBatches.Data(Producer, 0, int.MaxValue - 1, recordCount: 3); // int.MaxValue - 1, int.MaxValue, 0
        Assert.True((await _log.AppendAsync(_state, TestBatches.Data(Producer, 0, int.MaxValue - 5, recordCount: 4))).Check.ShouldAppend);
        Assert.True((await _log.AppendAsync(_state, wrapping)).Check.ShouldAppend);
        Assert.Equal(0, _state.GetEntry(Producer)!.LastSequence);

        Assert.True((await _log.AppendAsync(_state, wrapping)).Check.IsDuplicate);
        Assert.True((await _log.AppendAsync(_state, TestBatches.Data(Producer, 0, 1))).Check.ShouldAppend);
    }

    [Fact]
    public async Task BatchEndingAtIntMaxValueIsFollowedBySequenceZero()
    {
        await _log.AppendAsync(_state, TestBatches.Data(Producer, 0, int.MaxValue - 1, recordCount: 2));

        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, (await _log.AppendAsync(_state, TestBatches.Data(Producer, 0, 1))).Check.Error);
        Assert.True((await _log.AppendAsync(_state, TestBatches.Data(Producer, 0, 0))).Check.ShouldAppend);
    }

    [Fact]
    public async Task UnknownProducerIsAcceptedAtAnySequenceThenHeldToIt()
    {
        Assert.True((await _log.AppendAsync(_state, TestBatches.Data(Producer, 4, 17))).Check.ShouldAppend);
        Assert.True((await _log.AppendAsync(_state, TestBatches.Data(Producer, 4, 18))).Check.ShouldAppend);
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, (await _log.AppendAsync(_state, TestBatches.Data(Producer, 4, 20))).Check.Error);
    }

    [Fact]
    public async Task PlainBatchInsideAnOpenTransactionIsRejected()
    {
        await _log.AppendAsync(_state, TestBatches.Data(Producer, 0, 0, transactional: true));

        Assert.Equal(ErrorCode.InvalidTxnState, (await _log.AppendAsync(_state, TestBatches.Data(Producer, 0, 1))).Check.Error);
    }

    [Fact]
    public async Task ClientsMayNotWriteControlBatches()
    {
        Assert.Equal(ErrorCode.InvalidRecord, (await _log.AppendAsync(_state, TestBatches.Marker(Producer, 0, commit: true))).Check.Error);
        Assert.Equal(0, _log.EndOffset);
    }

    [Fact]
    public async Task IdempotentBatchWithoutASequenceIsInvalid()
    {
        Assert.Equal(ErrorCode.InvalidRecord, (await _log.AppendAsync(_state, TestBatches.Data(Producer, 0, -1))).Check.Error);
    }

    [Fact]
    public async Task BatchesWithoutAProducerAreNotTrackedButMoveTheMapEnd()
    {
        var (check, _) = await _log.AppendAsync(_state, TestBatches.Plain(recordCount: 4));

        Assert.True(check.ShouldAppend);
        Assert.False(check.RequiresTransactionVerification);
        Assert.Equal(0, _state.ProducerCount);
        Assert.Equal(4, _state.MapEndOffset);
    }

    [Fact]
    public async Task MarkerWithAStaleProducerEpochIsRejected()
    {
        await _log.AppendAsync(_state, TestBatches.Data(Producer, 3, 0, transactional: true));

        var (check, _) = await _log.AppendAsync(_state, TestBatches.Marker(Producer, 2, commit: true), AppendOrigin.Coordinator);

        Assert.Equal(ErrorCode.InvalidProducerEpoch, check.Error);
        Assert.True(_state.HasOngoingTransaction(Producer));
    }

    [Fact]
    public async Task MarkerFromAnOlderCoordinatorEpochIsRejected()
    {
        await _log.AppendAsync(_state, TestBatches.Data(Producer, 0, 0, transactional: true));
        await _log.AppendAsync(_state, TestBatches.Marker(Producer, 0, commit: true, coordinatorEpoch: 5), AppendOrigin.Coordinator);

        var (check, _) = await _log.AppendAsync(_state, TestBatches.Marker(Producer, 0, commit: true, coordinatorEpoch: 4), AppendOrigin.Coordinator);

        Assert.Equal(ErrorCode.TransactionCoordinatorFenced, check.Error);
    }
}
