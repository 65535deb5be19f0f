using StreamingPipeline.Broker.Log;
using StreamingPipeline.Broker.Transactions;
using StreamingPipeline.Protocol;

namespace StreamingPipeline.Broker.Tests.Transactions;

public sealed class ProducerStateSequenceTests : IDisposable
{
    private const long Producer = 1000;
    private readonly TempDirectory _directory = new();
    private readonly TestPartition _log = new();
    private readonly ProducerStateManager _state;

    public ProducerStateSequenceTests() => _state = ProducerStateManager.Open(_directory.Path, 0, 0, _log.ReadFrom);

    public void Dispose()
    {
        _state.Dispose();
        _directory.Dispose();
    }

    [Fact]
    public void InOrderBatchesAreAppended()
    {
        var first = _log.Append(_state, RecordBatchBuilder.HeaderOnly(Producer, 0, 0, recordCount: 3));
        var second = _log.Append(_state, RecordBatchBuilder.HeaderOnly(Producer, 0, 3, recordCount: 2));
        var third = _log.Append(_state, RecordBatchBuilder.HeaderOnly(Producer, 0, 5));

        Assert.True(first.Check.ShouldAppend && second.Check.ShouldAppend && third.Check.ShouldAppend);
        Assert.Equal([0L, 3L, 5L], [first.BaseOffset, second.BaseOffset, third.BaseOffset]);
        Assert.Equal(5, _state.GetEntry(Producer)!.LastSequence);
        Assert.Equal(6, _state.MapEndOffset);
    }

    [Fact]
    public void EachOfTheLastFiveBatchesIsAcknowledgedAsADuplicateWithItsOriginalOffsets()
    {
        var sent = new List<(byte[] Batch, long BaseOffset, int Records)>();
        var sequence = 0;
        for (var i = 0; i < ProducerStateManager.BatchesToRetain; i++)
        {
            var records = i + 1;
            var batch = RecordBatchBuilder.HeaderOnly(Producer, 0, sequence, records, timestamp: 5_000 + i);
            sent.Add((batch, _log.Append(_state, batch).BaseOffset, records));
            sequence += records;
        }
        var endBefore = _log.EndOffset;

        for (var i = 0; i < sent.Count; i++)
        {
            var (check, _) = _log.Append(_state, sent[i].Batch);

            Assert.True(check.IsDuplicate, $"batch {i} should be a duplicate");
            Assert.Equal(ErrorCode.None, check.Error);
            Assert.Equal(sent[i].BaseOffset, check.DuplicateFirstOffset);
            Assert.Equal(sent[i].BaseOffset + sent[i].Records - 1, check.DuplicateLastOffset);
            Assert.Equal(5_000 + i, check.DuplicateTimestamp);
        }
        Assert.Equal(endBefore, _log.EndOffset);
    }

    [Fact]
    public void BatchOlderThanTheLastFiveIsOutOfOrderRatherThanADuplicate()
    {
        var first = RecordBatchBuilder.HeaderOnly(Producer, 0, 0);
        _log.Append(_state, first);
        for (var sequence = 1; sequence <= ProducerStateManager.BatchesToRetain; sequence++)
        {
            _log.Append(_state, RecordBatchBuilder.HeaderOnly(Producer, 0, sequence));
        }

        var (check, _) = _log.Append(_state, first);

        Assert.False(check.IsDuplicate);
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, check.Error);
    }

    [Fact]
    public void SequenceGapIsRejectedAndNothingIsStored()
    {
        _log.Append(_state, RecordBatchBuilder.HeaderOnly(Producer, 0, 0));

        var (check, _) = _log.Append(_state, RecordBatchBuilder.HeaderOnly(Producer, 0, 2));

        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, check.Error);
        Assert.Equal(1, _log.EndOffset);
        Assert.True(_log.Append(_state, RecordBatchBuilder.HeaderOnly(Producer, 0, 1)).Check.ShouldAppend);
    }

    [Fact]
    public void RetryWithADifferentSequenceRangeIsNotADuplicate()
    {
        _log.Append(_state, RecordBatchBuilder.HeaderOnly(Producer, 0, 0, recordCount: 1));

        var (check, _) = _log.Append(_state, RecordBatchBuilder.HeaderOnly(Producer, 0, 0, recordCount: 2));

        Assert.False(check.IsDuplicate);
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, check.Error);
    }

    [Fact]
    public void BumpedEpochRestartsSequencesAtZero()
    {
        for (var sequence = 0; sequence < 10; sequence++)
        {
            _log.Append(_state, RecordBatchBuilder.HeaderOnly(Producer, 0, sequence));
        }

        Assert.True(_log.Append(_state, RecordBatchBuilder.HeaderOnly(Producer, 1, 0)).Check.ShouldAppend);
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, _log.Append(_state, RecordBatchBuilder.HeaderOnly(Producer, 2, 3)).Check.Error);
        Assert.Equal(1, _state.GetEntry(Producer)!.ProducerEpoch);
    }

    [Fact]
    public void OldEpochIsFencedEvenForABatchThatWasOnceStored()
    {
        var old = RecordBatchBuilder.HeaderOnly(Producer, 0, 0);
        _log.Append(_state, old);
        _log.Append(_state, RecordBatchBuilder.HeaderOnly(Producer, 1, 0));

        Assert.Equal(ErrorCode.InvalidProducerEpoch, _log.Append(_state, old).Check.Error);
        Assert.Equal(ErrorCode.InvalidProducerEpoch, _log.Append(_state, RecordBatchBuilder.HeaderOnly(Producer, 0, 1)).Check.Error);
    }

    [Fact]
    public void SequenceWrapsFromIntMaxValueToZero()
    {
        var wrapping = RecordBatchBuilder.HeaderOnly(Producer, 0, int.MaxValue - 1, recordCount: 3); // int.MaxValue - 1, int.MaxValue, 0
        Assert.True(_log.Append(_state, RecordBatchBuilder.HeaderOnly(Producer, 0, int.MaxValue - 5, recordCount: 4)).Check.ShouldAppend);
        Assert.True(_log.Append(_state, wrapping).Check.ShouldAppend);
        Assert.Equal(0, _state.GetEntry(Producer)!.LastSequence);

        Assert.True(_log.Append(_state, wrapping).Check.IsDuplicate);
        Assert.True(_log.Append(_state, RecordBatchBuilder.HeaderOnly(Producer, 0, 1)).Check.ShouldAppend);
    }

    [Fact]
    public void BatchEndingAtIntMaxValueIsFollowedBySequenceZero()
    {
        _log.Append(_state, RecordBatchBuilder.HeaderOnly(Producer, 0, int.MaxValue - 1, recordCount: 2));

        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, _log.Append(_state, RecordBatchBuilder.HeaderOnly(Producer, 0, 1)).Check.Error);
        Assert.True(_log.Append(_state, RecordBatchBuilder.HeaderOnly(Producer, 0, 0)).Check.ShouldAppend);
    }

    [Fact]
    public void UnknownProducerIsAcceptedAtAnySequenceThenHeldToIt()
    {
        Assert.True(_log.Append(_state, RecordBatchBuilder.HeaderOnly(Producer, 4, 17)).Check.ShouldAppend);
        Assert.True(_log.Append(_state, RecordBatchBuilder.HeaderOnly(Producer, 4, 18)).Check.ShouldAppend);
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, _log.Append(_state, RecordBatchBuilder.HeaderOnly(Producer, 4, 20)).Check.Error);
    }

    [Fact]
    public void PlainBatchInsideAnOpenTransactionIsRejected()
    {
        _log.Append(_state, RecordBatchBuilder.HeaderOnly(Producer, 0, 0, transactional: true));

        Assert.Equal(ErrorCode.InvalidTxnState, _log.Append(_state, RecordBatchBuilder.HeaderOnly(Producer, 0, 1)).Check.Error);
    }

    [Fact]
    public void ClientsMayNotWriteControlBatches()
    {
        Assert.Equal(ErrorCode.InvalidRecord, _log.Append(_state, RecordBatchBuilder.Marker(Producer, 0, commit: true)).Check.Error);
        Assert.Equal(0, _log.EndOffset);
    }

    [Fact]
    public void IdempotentBatchWithoutASequenceIsInvalid()
    {
        Assert.Equal(ErrorCode.InvalidRecord, _log.Append(_state, RecordBatchBuilder.HeaderOnly(Producer, 0, -1)).Check.Error);
    }

    [Fact]
    public void BatchesWithoutAProducerAreNotTrackedButMoveTheMapEnd()
    {
        var (check, _) = _log.Append(_state, RecordBatchBuilder.HeaderOnly(recordCount: 4));

        Assert.True(check.ShouldAppend);
        Assert.False(check.RequiresTransactionVerification);
        Assert.Equal(0, _state.ProducerCount);
        Assert.Equal(4, _state.MapEndOffset);
    }

    [Fact]
    public void MarkerWithAStaleProducerEpochIsRejected()
    {
        _log.Append(_state, RecordBatchBuilder.HeaderOnly(Producer, 3, 0, transactional: true));

        var (check, _) = _log.Append(_state, RecordBatchBuilder.Marker(Producer, 2, commit: true), AppendOrigin.Coordinator);

        Assert.Equal(ErrorCode.InvalidProducerEpoch, check.Error);
        Assert.True(_state.HasOngoingTransaction(Producer));
    }

    [Fact]
    public void MarkerFromAnOlderCoordinatorEpochIsRejected()
    {
        _log.Append(_state, RecordBatchBuilder.HeaderOnly(Producer, 0, 0, transactional: true));
        _log.Append(_state, RecordBatchBuilder.Marker(Producer, 0, commit: true, coordinatorEpoch: 5), AppendOrigin.Coordinator);

        var (check, _) = _log.Append(_state, RecordBatchBuilder.Marker(Producer, 0, commit: true, coordinatorEpoch: 4), AppendOrigin.Coordinator);

        Assert.Equal(ErrorCode.TransactionCoordinatorFenced, check.Error);
    }
}
