using StreamingPipeline.Broker.Log;
using StreamingPipeline.Protocol;

namespace StreamingPipeline.Broker.Tests.Log;

public sealed class PartitionLogRetentionTests
{
    [Fact]
    public void SizeRetentionDeletesTheOldestWholeSegmentsAndAdvancesTheLogStartOffset()
    {
        using var dir = new TempDirectory();
        using var log = TestLogs.Open(dir.Path, TestLogs.Small with { RetentionMs = -1, RetentionBytes = 2048 });
        for (var i = 0; i < 60; i++)
        {
            TestLogs.AppendBatch(log, 2);
        }
        var segmentsBefore = log.SegmentCount;
        var sizeBefore = log.SizeInBytes;

        var deleted = log.ApplyRetention(RecordBatchBuilder.DefaultTimestamp);

        Assert.True(deleted > 0);
        Assert.Equal(segmentsBefore - deleted, log.SegmentCount);
        // Kafka's rule: delete the oldest segment only while the log stays at least retention.bytes without it.
        var oldestSize = new FileInfo(TestLogs.SegmentFiles(dir.Path)[0]).Length;
        Assert.True(log.SizeInBytes >= 2048, $"{log.SizeInBytes} bytes left: retention deleted more than it had to");
        Assert.True(log.SizeInBytes - oldestSize < 2048, $"{log.SizeInBytes} bytes left: the oldest segment should have gone too");
        Assert.True(log.SizeInBytes < sizeBefore);
        Assert.Equal(log.SegmentCount, TestLogs.SegmentFiles(dir.Path).Length);
        var firstFile = Path.GetFileNameWithoutExtension(TestLogs.SegmentFiles(dir.Path)[0]);
        Assert.Equal(log.LogStartOffset, long.Parse(firstFile, System.Globalization.CultureInfo.InvariantCulture));
        using var below = log.Read(log.LogStartOffset - 1, 1000, log.HighWatermark, minOneBatch: true);
        Assert.Equal(ErrorCode.OffsetOutOfRange, below.Error);
        Assert.Equal(120 - log.LogStartOffset, TestLogs.ReadAll(log, log.LogStartOffset).Count);
    }

    [Fact]
    public void TimeRetentionDeletesSegmentsWhoseNewestRecordIsTooOld()
    {
        using var dir = new TempDirectory();
        using var log = TestLogs.Open(dir.Path, TestLogs.Small with { RetentionMs = 1_000 });
        for (var i = 0; i < 30; i++)
        {
            TestLogs.AppendBatch(log, 2, firstTimestamp: 10_000 + (i * 100));
        }
        var segments = log.SegmentCount;

        // Records of batch i carry timestamps 10_000 + 100 i; keep those newer than 12_000.
        log.ApplyRetention(13_000);

        Assert.True(log.SegmentCount < segments);
        var firstKept = TestLogs.ReadAll(log, log.LogStartOffset)[0];
        Assert.True(firstKept.Timestamp <= 12_000, "a segment with young records was deleted");
        var batchSize = RecordBatchBuilder.Build(2).Length;
        var batchesPerSegment = 1024 / batchSize;
        Assert.True(firstKept.Timestamp > 12_000 - (batchesPerSegment * 100), "an expired segment was kept");
    }

    [Fact]
    public void TheActiveSegmentIsNeverDeleted()
    {
        using var dir = new TempDirectory();
        using var log = TestLogs.Open(dir.Path, new LogConfig { RetentionMs = 0, RetentionBytes = 0 });
        TestLogs.AppendBatch(log, 5, firstTimestamp: 1);

        var deleted = log.ApplyRetention(RecordBatchBuilder.DefaultTimestamp);

        Assert.Equal(0, deleted);
        Assert.Equal(1, log.SegmentCount);
        Assert.Equal(0, log.LogStartOffset);
        Assert.Equal(5, TestLogs.ReadAll(log, 0).Count);
    }

    [Fact]
    public void TheLogStartOffsetSurvivesAReopenAfterRetention()
    {
        using var dir = new TempDirectory();
        long startOffset;
        using (var log = TestLogs.Open(dir.Path, TestLogs.Small with { RetentionBytes = 1500 }))
        {
            for (var i = 0; i < 40; i++)
            {
                TestLogs.AppendBatch(log, 2);
            }
            log.ApplyRetention(RecordBatchBuilder.DefaultTimestamp);
            startOffset = log.LogStartOffset;
        }

        using var reopened = TestLogs.Open(dir.Path);

        Assert.True(startOffset > 0);
        Assert.Equal(startOffset, reopened.LogStartOffset);
        Assert.Equal(80, reopened.LogEndOffset);
    }

    [Fact]
    public void SegmentMsRollsTheActiveSegmentOnTheNextAppend()
    {
        using var dir = new TempDirectory();
        var time = TestLogs.Clock();
        using var log = TestLogs.Open(dir.Path, new LogConfig { SegmentMs = 60_000 }, time);
        TestLogs.AppendBatch(log, 2);
        time.Advance(TimeSpan.FromSeconds(59));
        TestLogs.AppendBatch(log, 2);
        Assert.Equal(1, log.SegmentCount);

        time.Advance(TimeSpan.FromSeconds(2));
        TestLogs.AppendBatch(log, 2);

        Assert.Equal(2, log.SegmentCount);
        Assert.Equal(4, long.Parse(Path.GetFileNameWithoutExtension(TestLogs.SegmentFiles(dir.Path)[^1]), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task ReadsDuringRetentionEitherSucceedOrReportOutOfRange()
    {
        using var dir = new TempDirectory();
        using var log = TestLogs.Open(dir.Path, TestLogs.Small with { RetentionBytes = 0 });
        for (var i = 0; i < 200; i++)
        {
            TestLogs.AppendBatch(log, 2);
        }
        using var done = new CancellationTokenSource();
        var reader = Task.Run(() =>
        {
            var reads = 0;
            while (!done.IsCancellationRequested || reads == 0)
            {
                var offset = Math.Max(0, log.LogStartOffset - 1 + (reads % 3));
                using var read = log.Read(offset, 500, log.HighWatermark, minOneBatch: true);
                Assert.True(read.Error is ErrorCode.None or ErrorCode.OffsetOutOfRange, read.Error.ToString());
                if (read.Error == ErrorCode.None)
                {
                    Assert.NotEmpty(RecordBatchBuilder.ReadRecords(read.Records.Span));
                }
                reads++;
            }
            return reads;
        });

        // Delete segments one append at a time so retention races the reader many times.
        for (var i = 0; i < 100; i++)
        {
            TestLogs.AppendBatch(log, 2);
            log.ApplyRetention(RecordBatchBuilder.DefaultTimestamp);
        }
        await done.CancelAsync();

        Assert.True(await reader.WaitAsync(TimeSpan.FromSeconds(30)) > 0);
        Assert.Equal(1, log.SegmentCount);
    }
}
