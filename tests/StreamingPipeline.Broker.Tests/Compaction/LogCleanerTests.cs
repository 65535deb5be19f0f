using System.Text;
using StreamingPipeline.Broker.Log;
using StreamingPipeline.Broker.Log.Cleaner;

namespace StreamingPipeline.Broker.Tests.Compaction;

public sealed class LogCleanerTests
{
    [Fact]
    public async Task AKeyedWorkloadCompactsToTheLatestRecordPerKeyWithOffsetsKept()
    {
        using var dir = new TempDirectory();
        await using var log = CompactedLog.Open(dir.Path);
        WriteRandomWorkload(log, seed: 7, batches: 300, keys: 40);
        var before = log.Log.SizeInBytes;

        var passes = log.CleanUntilIdle();

        var pass = Assert.Single(passes);
        Assert.True(pass.Completed);
        Assert.Equal(log.Log.Segments[^1].BaseOffset, pass.EndOffset);
        var records = log.ReadAll();
        Assert.Equal(log.ExpectedOffsets(pass.EndOffset, tombstonesRemoved: false), new SortedSet<long>(records.Select(r => r.Offset)));
        foreach (var record in records)
        {
            var (key, value) = log.Written[record.Offset];
            Assert.Equal(key, Encoding.UTF8.GetString(record.Key!));
            Assert.Equal(value, record.Value is null ? null : Encoding.UTF8.GetString(record.Value));
        }
        Assert.Equal(log.Model(), CompactedLog.Replay(records));
        Assert.True(log.Log.SizeInBytes < before / 2, $"{log.Log.SizeInBytes} bytes left of {before}");
        Assert.Equal(log.Written.Keys.Max() + 1, log.Log.LogEndOffset);
    }

    [Theory]
    [InlineData(RecordCodec.Gzip, false)]
    [InlineData(RecordCodec.Gzip, true)]
    [InlineData(RecordCodec.Snappy, true)]
    [InlineData(RecordCodec.Lz4, true)]
    [InlineData(RecordCodec.Zstd, true)]
    public async Task CompressedBatchesCompactToTheLatestRecordPerKeyAndStayInTheirCodec(int codec, bool alternate)
    {
        using var dir = new TempDirectory();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var log = CompactedLog.Open(dir.Path, new Dictionary<string, string> { ["delete.retention.ms"] = "60000" }, time: clock);
        log.Codec = codec;
        log.AlternateCodec = alternate;
        WriteRandomWorkload(log, seed: 7, batches: 300, keys: 40);
        var before = log.Log.SizeInBytes;

        var pass = Assert.Single(log.CleanUntilIdle());

        Assert.True(pass.Completed);
        var records = log.ReadAll();
        Assert.Equal(log.ExpectedOffsets(pass.EndOffset, tombstonesRemoved: false), new SortedSet<long>(records.Select(r => r.Offset)));
        foreach (var record in records)
        {
            var (key, value) = log.Written[record.Offset];
            Assert.Equal(key, Encoding.UTF8.GetString(record.Key!));
            Assert.Equal(value, record.Value is null ? null : Encoding.UTF8.GetString(record.Value));
        }
        Assert.Equal(log.Model(), CompactedLog.Replay(records));
        Assert.True(log.Log.SizeInBytes < before * 2 / 3, $"{log.Log.SizeInBytes} bytes left of {before}");
        var codecs = StoredBatches(log).Where(b => b.RecordCount > 0).Select(b => b.Codec).Distinct().Order().ToList();
        Assert.Equal(alternate ? [RecordCodec.None, codec] : [codec], codecs);

        // Past delete.retention.ms, tombstones in compressed batches go too.
        clock.Advance(TimeSpan.FromMinutes(2));
        WriteRandomWorkload(log, seed: 8, batches: 60, keys: 40, tombstones: false, prefix: "later");
        var second = Assert.Single(log.CleanUntilIdle());
        records = log.ReadAll();
        Assert.DoesNotContain(records, r => r.Value is null && r.Offset < pass.EndOffset);
        Assert.Equal(log.Model(), CompactedLog.Replay(records));
        Assert.True(second.RecordsRemoved > 0);
    }

    [Theory]
    [InlineData(RecordCodec.Gzip)]
    [InlineData(RecordCodec.Lz4)]
    public async Task AKeylessRecordInACompressedBatchIsInvalidRecord(int codec)
    {
        using var dir = new TempDirectory();
        await using var log = CompactedLog.Open(dir.Path);
        var batch = RecordBatchBuilder.Build([(Encoding.UTF8.GetBytes("k"), Encoding.UTF8.GetBytes("keyed"), 1L), (null, Encoding.UTF8.GetBytes("no key"), 1L)]);

        var result = log.Log.Append(RecordBatchBuilder.Compress(batch, codec));

        Assert.Equal(Protocol.ErrorCode.InvalidRecord, result.Error);
        Assert.Equal(0, log.Log.LogEndOffset);
    }

    [Fact]
    public async Task TombstonesStayForDeleteRetentionAndGoAfter()
    {
        using var dir = new TempDirectory();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var log = CompactedLog.Open(dir.Path, new Dictionary<string, string> { ["delete.retention.ms"] = "60000" }, time: clock);
        WriteRandomWorkload(log, seed: 11, batches: 200, keys: 30);
        Assert.Contains(log.Written.Values, w => w.Value is null);

        var first = Assert.Single(log.CleanUntilIdle());
        Assert.Equal(log.ExpectedOffsets(first.EndOffset, tombstonesRemoved: false), new SortedSet<long>(log.ReadAll().Select(r => r.Offset)));

        // Past delete.retention.ms, the next pass (due again after more writes) drops the tombstones it cleaned.
        clock.Advance(TimeSpan.FromMinutes(2));
        WriteRandomWorkload(log, seed: 12, batches: 60, keys: 30, tombstones: false, prefix: "later");
        var second = Assert.Single(log.CleanUntilIdle());

        var records = log.ReadAll();
        var tombstonesLeft = records.Where(r => r.Value is null && r.Offset < first.EndOffset).ToList();
        Assert.Empty(tombstonesLeft);
        Assert.Equal(log.Model(), CompactedLog.Replay(records));
        Assert.True(second.RecordsRemoved > 0);
    }

    [Fact]
    public async Task MoreKeysThanTheMapHoldsAreCleanedInSeveralPassesWithinTheMapsMemory()
    {
        using var dir = new TempDirectory();
        const long mapBytes = 100 * OffsetMap.BytesPerEntry;
        await using var log = CompactedLog.Open(dir.Path, mapBytes: mapBytes);
        for (var round = 0; round < 3; round++)
        {
            for (var key = 0; key < 400; key += 4)
            {
                log.Append([.. Enumerable.Range(key, 4).Select(k => ($"key-{k:D4}", (string?)$"round-{round}-{k}"))]);
            }
        }

        var passes = log.CleanUntilIdle();

        Assert.True(passes.Count >= 4, $"{passes.Count} passes");
        Assert.All(passes, p => Assert.True(p.KeysInMap <= log.Cleaner.Map!.Capacity));
        Assert.True(log.Cleaner.MapMemoryBytes <= mapBytes);
        var records = log.ReadAll();
        Assert.Equal(log.Model(), CompactedLog.Replay(records));
        var cleanedUpTo = passes[^1].EndOffset;
        Assert.Equal(log.ExpectedOffsets(cleanedUpTo, tombstonesRemoved: false), new SortedSet<long>(records.Select(r => r.Offset)));
    }

    [Fact]
    public async Task AReconfiguredCleanerUsesItsNewMapSizeAtTheNextPass()
    {
        using var dir = new TempDirectory();
        await using var log = CompactedLog.Open(dir.Path, mapBytes: 1024 * 1024);
        WriteRandomWorkload(log, seed: 3, batches: 100, keys: 300);
        Assert.Single(log.CleanUntilIdle());
        Assert.True(log.Cleaner.MapMemoryBytes > 100 * OffsetMap.BytesPerEntry);

        const long smallMap = 50 * OffsetMap.BytesPerEntry;
        log.Cleaner.Reconfigure(8 * 1024 * 1024, TimeSpan.FromSeconds(1), smallMap);
        for (var key = 0; key < 300; key++)
        {
            log.Append(($"key-{key:D3}", $"again-{key}"));
        }
        var passes = log.CleanUntilIdle();

        Assert.True(passes.Count >= 2, $"{passes.Count} passes");
        Assert.True(log.Cleaner.MapMemoryBytes <= smallMap, $"{log.Cleaner.MapMemoryBytes} bytes of map");
        Assert.Equal(8 * 1024 * 1024, log.Cleaner.IoMaxBytesPerSecond);
        Assert.Equal(TimeSpan.FromSeconds(1), log.Cleaner.Backoff);
        Assert.Equal(log.Model(), CompactedLog.Replay(log.ReadAll()));
    }

    [Fact]
    public async Task TheActiveSegmentIsNeverCleanedAndADeletePolicyTopicIsNotTouched()
    {
        using var dir = new TempDirectory();
        await using var log = CompactedLog.Open(dir.Path, new Dictionary<string, string> { ["segment.bytes"] = "1000000" });
        for (var i = 0; i < 50; i++)
        {
            log.Append(("same-key", $"value-{i}"));
        }

        Assert.Empty(log.CleanUntilIdle());
        Assert.Equal(50, log.ReadAll().Count);

        Assert.True(log.Manager.CreateTopic("plain", 1, new Dictionary<string, string> { ["segment.bytes"] = "200" }, validateOnly: false).Succeeded);
        var plain = log.Manager.GetPartition("plain", 0)!;
        for (var i = 0; i < 20; i++)
        {
            Assert.True(plain.Append(RecordBatchBuilder.Build(1)).Succeeded);
        }
        Assert.Empty(log.CleanUntilIdle());
        Assert.Equal(20, Tests.Log.TestLogs.ReadAll(plain, 0).Count);
    }

    [Fact]
    public async Task MinCompactionLagAndMinCleanableDirtyRatioHoldTheCleanerBack()
    {
        using var dir = new TempDirectory();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var log = CompactedLog.Open(
            dir.Path, new Dictionary<string, string> { ["min.compaction.lag.ms"] = "60000", ["min.cleanable.dirty.ratio"] = "0.5" }, time: clock);
        for (var key = 0; key < 300; key++)
        {
            log.Append(($"key-{key:D3}", new string('v', 40)));
        }

        // Every record is younger than min.compaction.lag.ms.
        Assert.Empty(log.CleanUntilIdle());

        clock.Advance(TimeSpan.FromMinutes(2));
        var pass = Assert.Single(log.CleanUntilIdle());

        // A little dirt on a large clean log stays below the ratio...
        for (var key = 0; key < 40; key++)
        {
            log.Append(($"key-{key:D3}", new string('w', 40)));
        }
        clock.Advance(TimeSpan.FromMinutes(2));
        var candidate = PartitionCleaner.Assess(log.Log, pass.EndOffset, clock.GetUtcNow().ToUnixTimeMilliseconds());
        Assert.NotNull(candidate);
        Assert.True(candidate.DirtyRatio is > 0 and < 0.5, $"dirty ratio {candidate.DirtyRatio}");
        Assert.Empty(log.CleanUntilIdle());

        // ...and more dirt crosses it.
        for (var key = 40; key < 300; key++)
        {
            log.Append(($"key-{key:D3}", new string('w', 40)));
        }
        clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Single(log.CleanUntilIdle());
        Assert.Equal(log.Model(), CompactedLog.Replay(log.ReadAll()));
    }

    [Fact]
    public async Task AReaderHoldingAReplacedSegmentReadsOnAndTheResultSurvivesAReopen()
    {
        using var dir = new TempDirectory();
        List<TestRecord> cleaned;
        await using (var log = CompactedLog.Open(dir.Path))
        {
            WriteRandomWorkload(log, seed: 5, batches: 150, keys: 20);
            var oldSegments = log.Log.Segments;
            using var firstRead = log.Log.Read(0, 100_000, log.Log.HighWatermark, minOneBatch: true);

            log.CleanUntilIdle();

            Assert.NotSame(oldSegments, log.Log.Segments);
            Assert.NotEmpty(RecordBatchBuilder.ReadRecords(firstRead.Records.Span));
            cleaned = log.ReadAll();
            Assert.Equal(log.Model(), CompactedLog.Replay(cleaned));
        }

        await using var reopened = CompactedLog.Open(dir.Path);
        Assert.Equal(cleaned.Select(r => r.Offset), reopened.ReadAll().Select(r => r.Offset));
        Assert.Empty(Directory.GetDirectories(reopened.Log.Directory));
        Assert.Empty(reopened.CleanUntilIdle());
    }

    [Fact]
    public async Task AKeylessAppendToACompactedTopicIsInvalidRecord()
    {
        using var dir = new TempDirectory();
        await using var log = CompactedLog.Open(dir.Path);

        var result = log.Log.Append(RecordBatchBuilder.Build([(null, Encoding.UTF8.GetBytes("no key"), 1L)]));

        Assert.Equal(Protocol.ErrorCode.InvalidRecord, result.Error);
        Assert.Equal(0, log.Log.LogEndOffset);
    }

    internal static void WriteRandomWorkload(CompactedLog log, int seed, int batches, int keys, bool tombstones = true, string prefix = "v")
    {
        var random = new Random(seed);
        for (var b = 0; b < batches; b++)
        {
            var records = new (string Key, string? Value)[random.Next(1, 6)];
            for (var i = 0; i < records.Length; i++)
            {
                var key = $"key-{random.Next(keys):D3}";
                var value = tombstones && random.Next(10) == 0 ? null : $"{prefix}-{b}-{i}-{new string('x', random.Next(0, 40))}";
                records[i] = (key, value);
            }
            log.Append(records);
        }
    }

    /// <summary>The codec and record count of every batch stored in the log, read from the segments' batch headers.</summary>
    private static List<(int Codec, int RecordCount)> StoredBatches(CompactedLog log)
    {
        var batches = new List<(int, int)>();
        var offset = log.Log.LogStartOffset;
        while (offset < log.Log.LogEndOffset)
        {
            using var read = log.Log.Read(offset, 4096, log.Log.HighWatermark, minOneBatch: true);
            var bytes = read.Records.Span;
            var position = 0;
            while (position < bytes.Length)
            {
                var header = new RecordBatchHeader(bytes[position..]);
                if (header.LastOffset >= offset)
                {
                    batches.Add((header.CompressionType, header.RecordCount));
                }
                offset = header.LastOffset + 1;
                position += header.TotalSize;
            }
        }
        return batches;
    }
}
