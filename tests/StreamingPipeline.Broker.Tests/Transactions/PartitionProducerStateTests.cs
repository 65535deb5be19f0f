using Microsoft.Extensions.Logging.Abstractions;
using StreamingPipeline.Broker.Log;
using StreamingPipeline.Broker.Tests.Log;
using StreamingPipeline.Broker.Transactions;
using StreamingPipeline.Protocol;

namespace StreamingPipeline.Broker.Tests.Transactions;

/// <summary>Producer state plugged into a real partition log as its append guard: LSO, verification, snapshots, retention.</summary>
public sealed class PartitionProducerStateTests : IAsyncLifetime
{
    private const string TransactionalId = "copier";
    private readonly TempDirectory _directory = new();
    private readonly FakeTimeProvider _time = new();
    private TransactionCoordinator _coordinator = null!;

    private string PartitionDirectory => _directory.Combine("out-0");

    public async Task InitializeAsync() =>
        _coordinator = await TransactionCoordinator.OpenAsync(
            new TransactionCoordinatorOptions { Directory = _directory.Combine("coordinator") }, new RecordingMarkerWriter(), _time);

    public async Task DisposeAsync()
    {
        await _coordinator.DisposeAsync();
        _directory.Dispose();
    }

    [Fact]
    public async Task TheLastStableOffsetStopsAtAnOpenTransactionUntilItsMarker()
    {
        using var log = OpenLog();
        var producer = await _coordinator.InitProducerIdAsync(TransactionalId, 60_000);
        await _coordinator.AddPartitionsToTxnAsync(TransactionalId, producer.ProducerId, producer.ProducerEpoch, [new TopicPartition("out", 0)]);

        Append(log, Plain(2));
        Assert.Equal(2, log.LastStableOffset);
        Assert.Equal(ErrorCode.None, Append(log, Transactional(producer, baseSequence: 0, count: 3), TransactionalId).Error);
        Append(log, Plain(1));
        Assert.Equal((2L, 6L), (log.LastStableOffset, log.HighWatermark));

        Assert.Equal(ErrorCode.None, Append(log, Marker(producer, commit: true), origin: AppendOrigin.Coordinator).Error);

        Assert.Equal(7, log.LastStableOffset);
        Assert.Equal(log.HighWatermark, log.LastStableOffset);
    }

    [Fact]
    public async Task ATransactionalBatchForAPartitionOutsideTheTransactionIsRefusedBeforeAnythingIsWritten()
    {
        using var log = OpenLog();
        var producer = await _coordinator.InitProducerIdAsync(TransactionalId, 60_000);

        var result = Append(log, Transactional(producer, baseSequence: 0, count: 1), TransactionalId);

        Assert.Equal(ErrorCode.InvalidTxnState, result.Error);
        Assert.Equal(0, log.LogEndOffset);
    }

    [Fact]
    public void IdempotentAndTransactionalBatchesMustComeOneToAnAppend()
    {
        using var log = OpenLog();

        var result = Append(log, RecordBatchBuilder.Concat(Idempotent(7, 0, 2), Idempotent(7, 2, 2)));

        Assert.Equal(ErrorCode.InvalidRecord, result.Error);
        Assert.Equal(0, log.LogEndOffset);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void RetriesAreRecognisedAfterACleanCloseFromTheSnapshotAndAfterAnUncleanOneFromTheLog(bool clean)
    {
        var batches = Enumerable.Range(0, 6).Select(i => Idempotent(producerId: 9, baseSequence: i * 2, count: 2)).ToList();
        using (var log = OpenLog())
        {
            foreach (var batch in batches)
            {
                Append(log, (byte[])batch.Clone());
            }
            log.Close(flush: clean);
        }

        using var reopened = OpenLog();
        var retry = Append(reopened, (byte[])batches[^1].Clone());

        Assert.Equal(clean, Directory.GetFiles(PartitionDirectory, "*.snapshot").Length > 0);
        Assert.Equal((ErrorCode.None, 10L), (retry.Error, retry.BaseOffset));
        Assert.Equal(12, reopened.LogEndOffset);
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, Append(reopened, Idempotent(9, 14, 1)).Error);
    }

    [Fact]
    public void ASegmentRollCheckpointsTheProducerStateAtTheNewSegmentsBaseOffset()
    {
        using var log = OpenLog(TestLogs.Small);
        for (var i = 0; i < 20; i++)
        {
            Append(log, Idempotent(producerId: 3, baseSequence: i * 4, count: 4));
        }

        var segmentBases = TestLogs.SegmentFiles(PartitionDirectory).Select(f => long.Parse(Path.GetFileNameWithoutExtension(f), System.Globalization.CultureInfo.InvariantCulture)).ToHashSet();
        var snapshots = Directory.GetFiles(PartitionDirectory, "*.snapshot").Select(f => long.Parse(Path.GetFileNameWithoutExtension(f), System.Globalization.CultureInfo.InvariantCulture)).ToList();

        Assert.True(log.SegmentCount > 1);
        Assert.NotEmpty(snapshots);
        Assert.All(snapshots, offset => Assert.Contains(offset, segmentBases));
    }

    [Fact]
    public async Task RetentionForgetsAbortedTransactionsWhoseDataItDeleted()
    {
        using var log = OpenLog(TestLogs.Small with { RetentionBytes = 1024 });
        var producer = await _coordinator.InitProducerIdAsync(TransactionalId, 60_000);
        await _coordinator.AddPartitionsToTxnAsync(TransactionalId, producer.ProducerId, producer.ProducerEpoch, [new TopicPartition("out", 0)]);
        Append(log, Transactional(producer, baseSequence: 0, count: 2), TransactionalId);
        Append(log, Marker(producer, commit: false), origin: AppendOrigin.Coordinator);
        var index = ((PartitionProducerState)log.AppendGuard!).AbortedTransactions;
        Assert.Equal(1, index.Count);
        for (var i = 0; i < 20; i++)
        {
            Append(log, Plain(4));
        }

        Assert.True(log.ApplyRetention(_time.GetUtcNow().ToUnixTimeMilliseconds()) > 0);

        Assert.True(log.LogStartOffset > 3);
        Assert.Equal(0, index.Count);
    }

    private PartitionLog OpenLog(LogConfig? config = null)
    {
        var log = PartitionLog.Open(PartitionDirectory, "out", 0, config ?? new LogConfig(), _time, NullLogger.Instance);
        log.AttachAppendGuard(PartitionProducerState.Open(log, () => _coordinator, time: _time));
        return log;
    }

    private static LogAppendResult Append(PartitionLog log, byte[] batch, string? transactionalId = null, AppendOrigin origin = AppendOrigin.Client) =>
        log.Append(batch, origin, transactionalId);

    private static byte[] Plain(int count) => RecordBatchBuilder.Build(count);

    private static byte[] Idempotent(long producerId, int baseSequence, int count) =>
        RecordBatchBuilder.Build(Records(count), producerId, producerEpoch: 0, baseSequence: baseSequence);

    private static byte[] Transactional(InitProducerIdResult producer, int baseSequence, int count) =>
        RecordBatchBuilder.Build(Records(count), producer.ProducerId, producer.ProducerEpoch, baseSequence, transactional: true);

    private static byte[] Marker(InitProducerIdResult producer, bool commit) =>
        ControlBatch.Build(producer.ProducerId, producer.ProducerEpoch, commit ? ControlRecordType.Commit : ControlRecordType.Abort, 0, 2_000);

    private static List<(byte[]? Key, byte[]? Value, long Timestamp)> Records(int count) =>
        Enumerable.Range(0, count).Select(i => ((byte[]?)null, (byte[]?)new byte[16], RecordBatchBuilder.DefaultTimestamp + i)).ToList();
}
