using StreamingPipeline.Broker.Log;
using StreamingPipeline.Protocol;

namespace StreamingPipeline.Broker.Tests.Log;

public sealed class PartitionLogAppendGuardTests
{
    [Fact]
    public void TheGuardSeesEachBatchBeforeAndAfterItIsWritten()
    {
        using var dir = new TempDirectory();
        using var log = TestLogs.Open(dir.Path);
        var guard = new RecordingAppendGuard();
        log.AttachAppendGuard(guard);
        TestLogs.AppendBatch(log, 2);

        var result = log.Append(RecordBatchBuilder.Concat(Idempotent(producerId: 7, count: 3), Idempotent(producerId: 8, count: 1)));

        Assert.Equal((ErrorCode.None, 2L, 5L), (result.Error, result.BaseOffset, result.LastOffset));
        Assert.Equal([(-1L, 0L), (7L, 2L), (8L, 5L)], guard.Checked);
        Assert.Equal([(0L, 1L, false), (2L, 4L, false), (5L, 5L, false)], guard.Appended);
        Assert.Equal(0, guard.Rejections);
    }

    [Fact]
    public void ADuplicateIsAcknowledgedWithTheOriginalOffsetsWithoutWriting()
    {
        using var dir = new TempDirectory();
        using var log = TestLogs.Open(dir.Path);
        var guard = new RecordingAppendGuard();
        log.AttachAppendGuard(guard);
        log.Append(Idempotent(producerId: 7, count: 3));
        var size = log.SizeInBytes;
        guard.Decide = _ => AppendGuardVerdict.Duplicate(0, 2);

        var result = log.Append(Idempotent(producerId: 7, count: 3));

        Assert.Equal((ErrorCode.None, 0L, 2L), (result.Error, result.BaseOffset, result.LastOffset));
        Assert.Equal(3, log.LogEndOffset);
        Assert.Equal(size, log.SizeInBytes);
        Assert.Single(guard.Appended);
    }

    [Fact]
    public void ARefusalFromTheGuardWritesNothingOfTheAppend()
    {
        using var dir = new TempDirectory();
        using var log = TestLogs.Open(dir.Path);
        var guard = new RecordingAppendGuard { Decide = pid => pid == 8 ? AppendGuardVerdict.Reject(ErrorCode.OutOfOrderSequenceNumber, "gap") : AppendGuardVerdict.Accept };
        log.AttachAppendGuard(guard);

        var result = log.Append(RecordBatchBuilder.Concat(Idempotent(producerId: 7, count: 3), Idempotent(producerId: 8, count: 1)));

        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, result.Error);
        Assert.Equal("gap", result.ErrorMessage);
        Assert.Equal(0, log.LogEndOffset);
        Assert.Equal(0, log.SizeInBytes);
        Assert.Empty(guard.Appended);
        Assert.Equal(1, guard.Rejections);
    }

    [Fact]
    public void ADuplicateInsideAMultiBatchAppendIsRefused()
    {
        using var dir = new TempDirectory();
        using var log = TestLogs.Open(dir.Path);
        log.AttachAppendGuard(new RecordingAppendGuard { Decide = pid => pid == 8 ? AppendGuardVerdict.Duplicate(0, 0) : AppendGuardVerdict.Accept });

        var result = log.Append(RecordBatchBuilder.Concat(Idempotent(producerId: 7, count: 3), Idempotent(producerId: 8, count: 1)));

        Assert.Equal(ErrorCode.DuplicateSequenceNumber, result.Error);
        Assert.Equal(0, log.LogEndOffset);
    }

    private static byte[] Idempotent(long producerId, int count) =>
        RecordBatchBuilder.Build(
            Enumerable.Range(0, count).Select(i => ((byte[]?)null, (byte[]?)new byte[8], 1_000L + i)).ToList(),
            producerId: producerId,
            producerEpoch: 0,
            baseSequence: 0);
}
