using System.Buffers.Binary;
using StreamingPipeline.Broker.Log;

namespace StreamingPipeline.Broker.Tests.Log;

public sealed class PartitionLogRecoveryTests
{
    [Fact]
    public void AReopenedLogServesEverythingAndContinuesTheOffsets()
    {
        using var dir = new TempDirectory();
        using (var log = TestLogs.Open(dir.Path))
        {
            for (var i = 0; i < 25; i++)
            {
                TestLogs.AppendBatch(log, 2);
            }
        }

        using var reopened = TestLogs.Open(dir.Path);
        var next = TestLogs.AppendBatch(reopened, 1);

        Assert.Equal(50, next.BaseOffset);
        Assert.Equal(Enumerable.Range(0, 51).Select(i => (long)i), TestLogs.ReadAll(reopened, 0).Select(r => r.Offset));
    }

    [Fact]
    public void ALogThatWasNeverClosedReopensWithEverythingAppended()
    {
        using var dir = new TempDirectory();
        var config = new LogConfig { SegmentBytes = 8 * 1024, IndexIntervalBytes = 0 };

        // Like a killed process: the file writes happened, index entries still in memory are lost.
        var abandoned = TestLogs.Open(dir.Path, config);
        for (var i = 0; i < 150; i++)
        {
            TestLogs.AppendBatch(abandoned, 2, firstTimestamp: 1_000 + (i * 10));
        }
        try
        {
            using var reopened = TestLogs.Open(dir.Path, config);

            Assert.Equal(300, reopened.LogEndOffset);
            Assert.Equal(abandoned.SegmentCount, reopened.SegmentCount);
            Assert.Equal(Enumerable.Range(0, 300).Select(i => (long)i), TestLogs.ReadAll(reopened, 0).Select(r => r.Offset));
            Assert.Equal((298L, 2_490L), reopened.FindOffsetByTimestamp(2_490));
            Assert.Equal(300, TestLogs.AppendBatch(reopened, 1).BaseOffset);
        }
        finally
        {
            abandoned.Close(flush: false);
        }
    }

    public static TheoryData<string> TailDamage => new() { "garbage", "half-written batch", "corrupt CRC in last batch", "zeros" };

    [Theory]
    [MemberData(nameof(TailDamage))]
    public void ADamagedTailIsTruncatedOnReopen(string damage)
    {
        using var dir = new TempDirectory();
        var lastBatchSize = 0;
        using (var log = TestLogs.Open(dir.Path))
        {
            for (var i = 0; i < 12; i++)
            {
                TestLogs.AppendBatch(log, 2);
            }
            lastBatchSize = RecordBatchBuilder.Build(2).Length;
        }
        var active = TestLogs.SegmentFiles(dir.Path)[^1];
        var intactLength = new FileInfo(active).Length;
        long expectedEnd = 24;
        long expectedLength = intactLength;
        switch (damage)
        {
            case "garbage":
                File.AppendAllText(active, "this is not a record batch, just noise after a crash");
                break;
            case "zeros":
                File.AppendAllBytes(active, new byte[4096]);
                break;
            case "half-written batch":
                File.AppendAllBytes(active, WithOffset(RecordBatchBuilder.Build(5), 24)[..40]);
                break;
            case "corrupt CRC in last batch":
                using (var stream = new FileStream(active, FileMode.Open, FileAccess.ReadWrite))
                {
                    stream.Position = intactLength - 3;
                    var b = stream.ReadByte();
                    stream.Position = intactLength - 3;
                    stream.WriteByte((byte)(b ^ 0xFF));
                }
                expectedEnd = 22;
                expectedLength = intactLength - lastBatchSize;
                break;
        }

        using var reopened = TestLogs.Open(dir.Path);

        Assert.Equal(expectedEnd, reopened.LogEndOffset);
        Assert.Equal(expectedLength, new FileInfo(active).Length);
        Assert.Equal(Enumerable.Range(0, (int)expectedEnd).Select(i => (long)i), TestLogs.ReadAll(reopened, 0).Select(r => r.Offset));
        var next = TestLogs.AppendBatch(reopened, 3);
        Assert.Equal(expectedEnd, next.BaseOffset);
        Assert.Equal(expectedEnd + 3, TestLogs.ReadAll(reopened, 0).Count);
    }

    [Fact]
    public void IndexEntriesPastATornTailAreDroppedAndRecoveryStartsFromAnEarlierOne()
    {
        using var dir = new TempDirectory();
        var config = new LogConfig { IndexIntervalBytes = 0 };
        var batchSize = RecordBatchBuilder.Build(2).Length;
        using (var log = TestLogs.Open(dir.Path, config))
        {
            for (var i = 0; i < 10; i++)
            {
                TestLogs.AppendBatch(log, 2);
            }
        }
        var active = TestLogs.SegmentFiles(dir.Path)[^1];

        // The last writes reached the index but not the data: entries point at a torn batch and beyond the file.
        using (var stream = new FileStream(active, FileMode.Open, FileAccess.ReadWrite))
        {
            stream.SetLength((7 * batchSize) + 30);
        }

        using var reopened = TestLogs.Open(dir.Path, config);

        Assert.Equal(14, reopened.LogEndOffset);
        Assert.Equal(7L * batchSize, new FileInfo(active).Length);
        Assert.Equal(14, TestLogs.ReadAll(reopened, 0).Count);
    }

    [Fact]
    public void DeletedIndexesAreRebuilt()
    {
        using var dir = new TempDirectory();
        using (var log = TestLogs.Open(dir.Path))
        {
            for (var i = 0; i < 30; i++)
            {
                TestLogs.AppendBatch(log, 2, firstTimestamp: 1_000 + (i * 10));
            }
        }
        var indexFiles = Directory.GetFiles(dir.Path, "*.index").Concat(Directory.GetFiles(dir.Path, "*.timeindex")).ToArray();
        Assert.NotEmpty(indexFiles);
        foreach (var file in indexFiles)
        {
            File.Delete(file);
        }

        using var reopened = TestLogs.Open(dir.Path);

        Assert.Equal(60, reopened.LogEndOffset);
        Assert.Equal(Enumerable.Range(0, 60).Select(i => (long)i), TestLogs.ReadAll(reopened, 0).Select(r => r.Offset));
        Assert.Equal((42L, 1_210L), reopened.FindOffsetByTimestamp(1_210));
        Assert.All(indexFiles, file => Assert.True(File.Exists(file), $"{file} was not rebuilt"));
    }

    [Fact]
    public void ADamagedIndexFileIsIgnoredAndRebuilt()
    {
        using var dir = new TempDirectory();
        using (var log = TestLogs.Open(dir.Path))
        {
            for (var i = 0; i < 30; i++)
            {
                TestLogs.AppendBatch(log, 2, firstTimestamp: 1_000 + (i * 10));
            }
        }
        foreach (var file in Directory.GetFiles(dir.Path, "*.index"))
        {
            var bytes = File.ReadAllBytes(file);
            for (var i = SparseIndex<OffsetIndexEntry>.HeaderSize; i < bytes.Length; i++)
            {
                bytes[i] = 0x7F;
            }
            File.WriteAllBytes(file, bytes);
        }

        using var reopened = TestLogs.Open(dir.Path);

        Assert.Equal(Enumerable.Range(0, 60).Select(i => (long)i), TestLogs.ReadAll(reopened, 0).Select(r => r.Offset));
        for (var offset = 0L; offset < 60; offset += 5)
        {
            using var read = reopened.Read(offset, 1, reopened.HighWatermark, minOneBatch: true);
            Assert.Equal([(offset / 2 * 2, 2)], RecordBatchBuilder.ReadBatchOffsets(read.Records.Span));
        }
    }

    [Fact]
    public void AClosedSegmentWhoseTimeIndexLostItsTailStillKnowsItsNewestTimestamp()
    {
        using var dir = new TempDirectory();
        using (var log = TestLogs.Open(dir.Path))
        {
            for (var i = 0; i < 30; i++)
            {
                TestLogs.AppendBatch(log, 2, firstTimestamp: 10_000 + (i * 100));
            }
        }
        var firstTimeIndex = Directory.GetFiles(dir.Path, "*.timeindex").Order(StringComparer.Ordinal).First();
        using (var stream = new FileStream(firstTimeIndex, FileMode.Open, FileAccess.ReadWrite))
        {
            stream.SetLength(SparseIndex<TimeIndexEntry>.HeaderSize);
        }

        using var reopened = TestLogs.Open(dir.Path, TestLogs.Small with { RetentionMs = 1_000 });

        // The first segment holds batches 0-8, newest record at 10_801: it must be found, and kept at 11_700.
        Assert.Equal((16L, 10_800L), reopened.FindOffsetByTimestamp(10_790));
        Assert.Equal(0, reopened.ApplyRetention(11_700));
        Assert.Equal(1, reopened.ApplyRetention(11_802));
    }

    [Fact]
    public void AnIndexWithoutItsSegmentIsRemoved()
    {
        using var dir = new TempDirectory();
        using (var log = TestLogs.Open(dir.Path))
        {
            TestLogs.AppendBatch(log, 2);
        }
        var stray = Path.Combine(dir.Path, "00000000000000000077.index");
        File.WriteAllBytes(stray, new byte[20]);

        using var reopened = TestLogs.Open(dir.Path);

        Assert.False(File.Exists(stray));
        Assert.Equal(2, reopened.LogEndOffset);
    }

    [Fact]
    public void FsyncEveryWriteKeepsEveryAppendAcrossReopen()
    {
        using var dir = new TempDirectory();
        var config = TestLogs.Small with { FlushMessages = 1 };
        using (var log = TestLogs.Open(dir.Path, config))
        {
            for (var i = 0; i < 10; i++)
            {
                TestLogs.AppendBatch(log, 2);
            }
        }

        using var reopened = TestLogs.Open(dir.Path, config);

        Assert.Equal(20, reopened.LogEndOffset);
    }

    private static byte[] WithOffset(byte[] batch, long offset)
    {
        BinaryPrimitives.WriteInt64BigEndian(batch, offset);
        return batch;
    }
}
