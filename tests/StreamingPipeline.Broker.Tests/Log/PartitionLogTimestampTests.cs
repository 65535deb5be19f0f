using StreamingPipeline.Broker.Log;

namespace StreamingPipeline.Broker.Tests.Log;

public sealed class PartitionLogTimestampTests
{
    [Fact]
    public void FindOffsetByTimestampReturnsTheFirstRecordAtOrAfterTheTimestamp()
    {
        using var dir = new TempDirectory();
        using var log = TestLogs.Open(dir.Path);
        for (var i = 0; i < 40; i++)
        {
            // Batch i: records at 1000 + 100 i, +10, +20.
            log.Append(RecordBatchBuilder.Build(3, firstTimestamp: 1_000 + (i * 100), timestampStep: 10));
        }

        Assert.True(log.SegmentCount > 3);
        Assert.Equal((0L, 1_000L), log.FindOffsetByTimestamp(0));
        Assert.Equal((0L, 1_000L), log.FindOffsetByTimestamp(1_000));
        Assert.Equal((1L, 1_010L), log.FindOffsetByTimestamp(1_001));
        Assert.Equal((3L, 1_100L), log.FindOffsetByTimestamp(1_021));
        Assert.Equal((79L, 3_610L), log.FindOffsetByTimestamp(3_605));
        Assert.Equal((119L, 4_920L), log.FindOffsetByTimestamp(4_920));
        Assert.Null(log.FindOffsetByTimestamp(4_921));
    }

    [Fact]
    public void OutOfOrderTimestampsFindTheFirstBatchThatReachesTheTarget()
    {
        using var dir = new TempDirectory();
        using var log = TestLogs.Open(dir.Path, new LogConfig { IndexIntervalBytes = 0 });
        long[] batchTimestamps = [500, 900, 200, 950, 100, 990];
        foreach (var timestamp in batchTimestamps)
        {
            log.Append(RecordBatchBuilder.Build(1, firstTimestamp: timestamp));
        }

        Assert.Equal((1L, 900L), log.FindOffsetByTimestamp(600));
        Assert.Equal((3L, 950L), log.FindOffsetByTimestamp(901));
        Assert.Equal((5L, 990L), log.FindOffsetByTimestamp(960));
        Assert.Null(log.FindOffsetByTimestamp(991));
    }

    [Fact]
    public void LogAppendTimeTopicsAnswerWithTheBrokersTimestamps()
    {
        using var dir = new TempDirectory();
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(50_000));
        using var log = TestLogs.Open(dir.Path, new LogConfig { LogAppendTime = true }, time);
        log.Append(RecordBatchBuilder.Build(2, firstTimestamp: 99_999));
        time.Advance(TimeSpan.FromSeconds(1));
        log.Append(RecordBatchBuilder.Build(2, firstTimestamp: 1));

        Assert.Equal((0L, 50_000L), log.FindOffsetByTimestamp(10));
        Assert.Equal((2L, 51_000L), log.FindOffsetByTimestamp(50_001));
    }
}
