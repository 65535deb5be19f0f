using System.Buffers.Binary;
using System.Text;
using StreamingPipeline.Broker.Log;
using StreamingPipeline.Protocol;

namespace StreamingPipeline.Broker.Tests.Log;

public sealed class PartitionLogAppendReadTests
{
    [Fact]
    public void AppendsGetConsecutiveOffsetsAcrossBatchesAndCalls()
    {
        using var dir = new TempDirectory();
        using var log = TestLogs.Open(dir.Path);

        var first = log.Append(RecordBatchBuilder.Concat(RecordBatchBuilder.Build(3), RecordBatchBuilder.Build(2)));
        var second = log.Append(RecordBatchBuilder.Build(4));

        Assert.Equal((ErrorCode.None, 0L, 4L), (first.Error, first.BaseOffset, first.LastOffset));
        Assert.Equal((ErrorCode.None, 5L, 8L), (second.Error, second.BaseOffset, second.LastOffset));
        Assert.Equal(-1, first.LogAppendTimeMs);
        Assert.Equal(9, log.LogEndOffset);
        Assert.Equal(9, log.HighWatermark);
        using var read = log.Read(0, 10_000, log.HighWatermark, minOneBatch: true);
        Assert.Equal([(0L, 3), (3L, 2), (5L, 4)], RecordBatchBuilder.ReadBatchOffsets(read.Records.Span));
    }

    [Fact]
    public void RecordsRoundTripAcrossSegmentRolls()
    {
        using var dir = new TempDirectory();
        using var log = TestLogs.Open(dir.Path);
        for (var i = 0; i < 40; i++)
        {
            TestLogs.AppendBatch(log, 3, prefix: $"b{i}-");
        }

        Assert.True(log.SegmentCount > 5, $"expected several segments, got {log.SegmentCount}");
        Assert.Equal(TestLogs.SegmentFiles(dir.Path).Length, log.SegmentCount);
        var records = TestLogs.ReadAll(log, 0);
        Assert.Equal(120, records.Count);
        for (var i = 0; i < records.Count; i++)
        {
            Assert.Equal(i, records[i].Offset);
            Assert.StartsWith($"b{i / 3}-{i % 3}", Encoding.UTF8.GetString(records[i].Value!), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void ReadAtAnOffsetInsideABatchReturnsThatWholeBatch()
    {
        using var dir = new TempDirectory();
        using var log = TestLogs.Open(dir.Path, new LogConfig { IndexIntervalBytes = 0 });
        for (var i = 0; i < 20; i++)
        {
            TestLogs.AppendBatch(log, 5);
        }

        for (var offset = 0L; offset < 100; offset += 7)
        {
            using var read = log.Read(offset, 1, log.HighWatermark, minOneBatch: true);
            var batches = RecordBatchBuilder.ReadBatchOffsets(read.Records.Span);
            Assert.Equal([(offset / 5 * 5, 5)], batches);
        }
    }

    [Fact]
    public void MaxBytesLimitsTheReadToWholeBatches()
    {
        using var dir = new TempDirectory();
        using var log = TestLogs.Open(dir.Path, new LogConfig());
        var batchSize = RecordBatchBuilder.Build(2).Length;
        for (var i = 0; i < 10; i++)
        {
            TestLogs.AppendBatch(log, 2);
        }

        using var read = log.Read(0, (3 * batchSize) + (batchSize / 2), log.HighWatermark, minOneBatch: true);

        Assert.Equal(3 * batchSize, read.Records.Length);
        Assert.Equal(3, RecordBatchBuilder.ReadBatchOffsets(read.Records.Span).Count);
    }

    [Fact]
    public void MinOneBatchReturnsAFirstBatchLargerThanMaxBytes()
    {
        using var dir = new TempDirectory();
        using var log = TestLogs.Open(dir.Path, new LogConfig());
        TestLogs.AppendBatch(log, 10, valueSize: 100);
        TestLogs.AppendBatch(log, 1);

        using var withMinOne = log.Read(0, 10, log.HighWatermark, minOneBatch: true);
        using var withoutMinOne = log.Read(0, 10, log.HighWatermark, minOneBatch: false);

        Assert.Equal([(0L, 10)], RecordBatchBuilder.ReadBatchOffsets(withMinOne.Records.Span));
        Assert.Equal(ErrorCode.None, withoutMinOne.Error);
        Assert.True(withoutMinOne.Records.IsEmpty);
    }

    [Fact]
    public void MaxOffsetExclusiveKeepsOnlyBatchesThatStartBelowIt()
    {
        using var dir = new TempDirectory();
        using var log = TestLogs.Open(dir.Path, new LogConfig());
        for (var i = 0; i < 5; i++)
        {
            TestLogs.AppendBatch(log, 4);
        }

        using var upToEleven = log.Read(0, 100_000, maxOffsetExclusive: 11, minOneBatch: true);
        using var fromTwelve = log.Read(12, 100_000, maxOffsetExclusive: 12, minOneBatch: true);

        Assert.Equal([(0L, 4), (4L, 4), (8L, 4)], RecordBatchBuilder.ReadBatchOffsets(upToEleven.Records.Span));
        Assert.True(fromTwelve.Records.IsEmpty);
        Assert.Equal(ErrorCode.None, fromTwelve.Error);
    }

    [Fact]
    public void OffsetsOutsideTheLogAreOutOfRangeAndTheEndIsEmpty()
    {
        using var dir = new TempDirectory();
        using var log = TestLogs.Open(dir.Path);
        TestLogs.AppendBatch(log, 3);

        using var beyond = log.Read(4, 1000, log.HighWatermark, minOneBatch: true);
        using var below = log.Read(-1, 1000, log.HighWatermark, minOneBatch: true);
        using var atEnd = log.Read(3, 1000, log.HighWatermark, minOneBatch: true);

        Assert.Equal(ErrorCode.OffsetOutOfRange, beyond.Error);
        Assert.Equal(ErrorCode.OffsetOutOfRange, below.Error);
        Assert.Equal(ErrorCode.None, atEnd.Error);
        Assert.True(atEnd.Records.IsEmpty);
        Assert.Equal((3L, 0L, 3L), (atEnd.HighWatermark, atEnd.LogStartOffset, atEnd.LogEndOffset));
    }

    [Fact]
    public void ACorruptBatchIsRejectedAndNothingIsStored()
    {
        using var dir = new TempDirectory();
        using var log = TestLogs.Open(dir.Path);
        TestLogs.AppendBatch(log, 2);
        var sizeBefore = log.SizeInBytes;
        var corrupt = RecordBatchBuilder.Build(3);
        corrupt[^1] ^= 0x40;

        // The corrupt batch comes second: the valid first batch must not be stored either.
        var result = log.Append(RecordBatchBuilder.Concat(RecordBatchBuilder.Build(2), corrupt));

        Assert.Equal(ErrorCode.CorruptMessage, result.Error);
        Assert.Equal(2, log.LogEndOffset);
        Assert.Equal(sizeBefore, log.SizeInBytes);
        Assert.Equal(sizeBefore, new FileInfo(TestLogs.SegmentFiles(dir.Path)[^1]).Length);
    }

    [Fact]
    public void ABatchLargerThanMaxMessageBytesIsTooLarge()
    {
        using var dir = new TempDirectory();
        using var log = TestLogs.Open(dir.Path, new LogConfig { MaxMessageBytes = 500 });

        var result = log.Append(RecordBatchBuilder.Build(10, valueSize: 100));

        Assert.Equal(ErrorCode.MessageTooLarge, result.Error);
        Assert.Equal(0, log.LogEndOffset);
        Assert.Equal(0, log.SizeInBytes);
    }

    public static TheoryData<string, ErrorCode> MalformedAppends => new()
    {
        { "empty", ErrorCode.InvalidRecord },
        { "truncated", ErrorCode.CorruptMessage },
        { "trailing bytes", ErrorCode.CorruptMessage },
        { "magic 1", ErrorCode.InvalidRecord },
        { "magic 3", ErrorCode.CorruptMessage },
        { "nonzero base offset", ErrorCode.InvalidRecord },
        { "count disagrees with lastOffsetDelta", ErrorCode.InvalidRecord },
        { "control batch from a client", ErrorCode.InvalidRecord },
        { "producer id without sequence", ErrorCode.InvalidRecord },
    };

    [Theory]
    [MemberData(nameof(MalformedAppends))]
    public void MalformedAppendsAreRefusedWithKafkasErrorCodes(string defect, ErrorCode expected)
    {
        using var dir = new TempDirectory();
        using var log = TestLogs.Open(dir.Path);
        var batch = RecordBatchBuilder.Build(3);
        byte[] records = defect switch
        {
            "empty" => [],
            "truncated" => batch[..^5],
            "trailing bytes" => [.. batch, 0, 0, 0],
            "magic 1" => Patched(batch, b => b[16] = 1),
            "magic 3" => Patched(batch, b => b[16] = 3),
            "nonzero base offset" => Patched(batch, b => BinaryPrimitives.WriteInt64BigEndian(b, 7)),
            "count disagrees with lastOffsetDelta" => Patched(batch, b => BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(57), 4)),
            "control batch from a client" => RecordBatchBuilder.Build([(null, new byte[6], 1L)], producerId: 5, producerEpoch: 0, transactional: true, control: true),
            "producer id without sequence" => RecordBatchBuilder.Build([(null, new byte[6], 1L)], producerId: 5, producerEpoch: 0, baseSequence: -1),
            _ => throw new ArgumentOutOfRangeException(nameof(defect)),
        };

        var result = log.Append(records);

        Assert.Equal(expected, result.Error);
        Assert.NotNull(result.ErrorMessage);
        Assert.Equal(0, log.LogEndOffset);
        Assert.Equal(0, log.SizeInBytes);
    }

    [Fact]
    public void ACoordinatorMayAppendAControlBatch()
    {
        using var dir = new TempDirectory();
        using var log = TestLogs.Open(dir.Path);
        TestLogs.AppendBatch(log, 2);
        var marker = RecordBatchBuilder.Build([(new byte[4], new byte[6], 1L)], producerId: 5, producerEpoch: 0, transactional: true, control: true);

        var result = log.Append(marker, AppendOrigin.Coordinator);

        Assert.Equal((ErrorCode.None, 2L, 2L), (result.Error, result.BaseOffset, result.LastOffset));
        var batches = log.ReadBatches(0).Select(b => (b.BaseOffset, IsControl: new RecordBatchHeader(b.Batch.Span).IsControl)).ToList();
        Assert.Equal([(0L, false), (2L, true)], batches);
    }

    [Fact]
    public void LogAppendTimeTopicsStampTheBrokerClockAndKeepTheCrcValid()
    {
        using var dir = new TempDirectory();
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000));
        using var log = TestLogs.Open(dir.Path, new LogConfig { LogAppendTime = true }, time);

        var result = log.Append(RecordBatchBuilder.Build(3, firstTimestamp: 5));

        Assert.Equal(1_800_000_000_000, result.LogAppendTimeMs);
        using var read = log.Read(0, 10_000, log.HighWatermark, minOneBatch: true);
        var header = new RecordBatchHeader(read.Records.Span);
        Assert.True(header.IsLogAppendTime);
        Assert.Equal(1_800_000_000_000, header.MaxTimestamp);
        Assert.Equal(PartitionLog.LeaderEpoch, header.PartitionLeaderEpoch);
        Assert.All(RecordBatchBuilder.ReadRecords(read.Records.Span), r => Assert.Equal(1_800_000_000_000, r.Timestamp));
    }

    [Fact]
    public void ReadBatchesEnumeratesFromTheBatchContainingTheOffsetAcrossSegments()
    {
        using var dir = new TempDirectory();
        using var log = TestLogs.Open(dir.Path);
        for (var i = 0; i < 30; i++)
        {
            TestLogs.AppendBatch(log, 2);
        }

        var baseOffsets = log.ReadBatches(13).Select(b => b.BaseOffset).ToList();

        Assert.Equal(Enumerable.Range(6, 24).Select(i => i * 2L), baseOffsets);
    }

    [Fact]
    public async Task ReadsRunConcurrentlyWithAppendsAndOnlySeeWholeBatches()
    {
        using var dir = new TempDirectory();
        using var log = TestLogs.Open(dir.Path, new LogConfig { SegmentBytes = 16 * 1024, IndexIntervalBytes = 512 });
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        const int batches = 400;
        var writer = Task.Run(() =>
        {
            for (var i = 0; i < batches; i++)
            {
                TestLogs.AppendBatch(log, 3, prefix: $"w{i}-");
            }
        });
        var offset = 0L;
        while (offset < batches * 3)
        {
            await log.WaitForAppendAsync(offset, deadline.Token);
            using var read = log.Read(offset, 2000, log.HighWatermark, minOneBatch: true);
            Assert.Equal(ErrorCode.None, read.Error);
            var records = RecordBatchBuilder.ReadRecords(read.Records.Span).Where(r => r.Offset >= offset).ToList();
            Assert.NotEmpty(records);
            for (var i = 0; i < records.Count; i++)
            {
                Assert.Equal(offset + i, records[i].Offset);
            }
            offset += records.Count;
        }
        await writer.WaitAsync(deadline.Token);
    }

    private static byte[] Patched(byte[] batch, Action<byte[]> patch)
    {
        var copy = batch.ToArray();
        patch(copy);
        BinaryPrimitives.WriteUInt32BigEndian(copy.AsSpan(17), RecordBatchHeader.ComputeCrc(copy));
        return copy;
    }
}
