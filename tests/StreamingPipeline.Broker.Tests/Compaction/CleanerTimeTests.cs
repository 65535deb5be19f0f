using System.Text;
using StreamingPipeline.Broker.Log;

namespace StreamingPipeline.Broker.Tests.Compaction;

/// <summary>
/// What the cleaner does with time: the delete horizon it stamps into batches (KIP-534), the max timestamps of the
/// batches it rewrites, and the active segment of a compacted topic rolling at max.compaction.lag.ms.
/// </summary>
public sealed class CleanerTimeTests
{
    private const long RetentionMs = 60_000;

    [Fact]
    public async Task TombstonesAreStampedWithADeleteHorizonAndGoOnlyOnceItPassesWhateverTheFileTimes()
    {
        using var dir = new TempDirectory();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var settings = new Dictionary<string, string> { ["delete.retention.ms"] = RetentionMs.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        var timestamps = new Dictionary<long, long>();
        long cleanedUpTo;
        long firstPassAt;
        string partitionDirectory;
        SortedSet<long> tombstones;
        await using (var log = CompactedLog.Open(dir.Path, settings, time: clock))
        {
            WriteTimed(log, clock, timestamps, seed: 11, batches: 200, tombstones: true);
            firstPassAt = clock.GetUtcNow().ToUnixTimeMilliseconds();
            var first = Assert.Single(log.CleanUntilIdle());
            cleanedUpTo = first.EndOffset;
            partitionDirectory = log.Log.Directory;

            var batches = StoredBatches(log.Log).Where(b => b.LastOffset < cleanedUpTo).ToList();
            var stamped = batches.Where(b => b.Records.Any(r => r.Value is null)).ToList();
            Assert.NotEmpty(stamped);
            Assert.All(stamped, b => Assert.Equal(firstPassAt + RetentionMs, b.DeleteHorizonMs));
            Assert.All(batches.Where(b => b.Records.All(r => r.Value is not null)), b => Assert.Null(b.DeleteHorizonMs));

            // Re-encoding the timestamp deltas against the horizon keeps every record's own timestamp.
            var records = log.ReadAll();
            Assert.All(records, r => Assert.Equal(timestamps[r.Offset], r.Timestamp));
            // The tombstones that stay the latest record of their key (a later record in the active segment supersedes one).
            var latest = log.Written.GroupBy(w => w.Value.Key).ToDictionary(g => g.Key, g => g.Max(w => w.Key));
            tombstones = new SortedSet<long>(records.Where(r => r.Value is null && r.Offset < cleanedUpTo && latest[Encoding.UTF8.GetString(r.Key!)] == r.Offset).Select(r => r.Offset));
            Assert.NotEmpty(tombstones);
        }

        // A copy or restore that resets file times (here to 1970) must not change what is kept.
        foreach (var file in Directory.GetFiles(partitionDirectory))
        {
            File.SetLastWriteTimeUtc(file, DateTime.UnixEpoch);
        }
        await using (var log = CompactedLog.Open(dir.Path, settings, time: clock))
        {
            clock.Advance(TimeSpan.FromMilliseconds(RetentionMs / 2));
            WriteTimed(log, clock, timestamps, seed: 12, batches: 60, tombstones: false, prefix: "later");
            Assert.Single(log.CleanUntilIdle());
            var kept = log.ReadAll().Where(r => r.Value is null && r.Offset < cleanedUpTo).Select(r => r.Offset);
            Assert.Equal(tombstones, new SortedSet<long>(kept));

            // Past the horizon, the next pass removes them.
            clock.Advance(TimeSpan.FromMilliseconds(RetentionMs));
            WriteTimed(log, clock, timestamps, seed: 13, batches: 60, tombstones: false, prefix: "last");
            var third = Assert.Single(log.CleanUntilIdle());
            var records = log.ReadAll();
            Assert.DoesNotContain(records, r => r.Value is null && r.Offset < cleanedUpTo);
            Assert.True(third.RecordsRemoved >= tombstones.Count);
            Assert.All(records, r => Assert.Equal(timestamps[r.Offset], r.Timestamp));
        }
    }

    [Theory]
    [InlineData(RecordCodec.None)]
    [InlineData(RecordCodec.Lz4)]
    public async Task ARewrittenBatchTakesTheMaxTimestampOfTheRecordsItKeepsAndTimeLookupsFollow(int codec)
    {
        using var dir = new TempDirectory();
        await using var log = CompactedLog.Open(dir.Path);
        Append(log, codec, ("a", 1_000), ("b", 5_000), ("c", 3_000));
        for (var i = 0; i < 40; i++)
        {
            Append(log, codec, ($"filler-{i}", 4_000));
        }
        var overwrite = Append(log, codec, ("b", 4_500));
        for (var i = 40; i < 80; i++)
        {
            Append(log, codec, ($"filler-{i}", 4_000));
        }
        Assert.Equal(5_000, log.Log.Segments[0].MaxTimestamp);

        var pass = Assert.Single(log.CleanUntilIdle());

        Assert.True(pass.EndOffset > overwrite);
        var first = StoredBatches(log.Log)[0];
        Assert.Equal([0L, 2L], first.Records.Select(r => r.Offset));
        Assert.Equal(3_000, first.MaxTimestamp);
        Assert.Equal(4_000, log.Log.Segments[0].MaxTimestamp);

        // The first record at or after 3,500 is the first filler, not something in the rewritten batch.
        Assert.Equal((3L, 4_000L), log.Log.FindOffsetByTimestamp(3_500));
        Assert.Equal((overwrite, 4_500L), log.Log.FindOffsetByTimestamp(4_100));
        Assert.Null(log.Log.FindOffsetByTimestamp(5_000));
        // Inside a compressed batch the answer is the batch's base offset, as documented.
        Assert.Equal((codec == RecordCodec.None ? 2L : 0L, 3_000L), log.Log.FindOffsetByTimestamp(2_000));
    }

    [Fact]
    public async Task TheActiveSegmentOfACompactedTopicRollsAtMaxCompactionLagSoItsRecordsGetCleaned()
    {
        using var dir = new TempDirectory();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var log = CompactedLog.Open(
            dir.Path,
            new Dictionary<string, string> { ["segment.bytes"] = "1000000", ["max.compaction.lag.ms"] = "60000", ["min.cleanable.dirty.ratio"] = "0.9" },
            time: clock);
        for (var i = 0; i < 20; i++)
        {
            log.Append(("same-key", $"value-{i}"));
        }
        clock.Advance(TimeSpan.FromSeconds(59));
        log.Append(("same-key", "value-20"));
        Assert.Single(log.Log.Segments);
        Assert.Empty(log.CleanUntilIdle());

        clock.Advance(TimeSpan.FromSeconds(2));
        log.Append(("same-key", "value-21"));

        Assert.Equal(2, log.Log.Segments.Length);
        Assert.Equal(21, log.Log.Segments[1].BaseOffset);
        Assert.Single(log.CleanUntilIdle());
        Assert.Equal([20L, 21L], log.ReadAll().Select(r => r.Offset));

        // A topic that is not compacted keeps segment.ms alone.
        Assert.True(log.Manager.CreateTopic("plain", 1, new Dictionary<string, string> { ["max.compaction.lag.ms"] = "60000" }, validateOnly: false).Succeeded);
        var plain = log.Manager.GetPartition("plain", 0)!;
        Assert.True(plain.Append(RecordBatchBuilder.Build(1)).Succeeded);
        clock.Advance(TimeSpan.FromMinutes(5));
        Assert.True(plain.Append(RecordBatchBuilder.Build(1)).Succeeded);
        Assert.Single(plain.Segments);
    }

    [Fact]
    public void MaxSegmentMsIsSegmentMsCappedByMaxCompactionLagForCompactedTopicsOnly()
    {
        var config = new LogConfig { SegmentMs = 100_000, MaxCompactionLagMs = 60_000 };

        Assert.Equal(100_000, config.MaxSegmentMs);
        Assert.Equal(60_000, (config with { CleanupPolicy = "compact" }).MaxSegmentMs);
        Assert.Equal(60_000, (config with { CleanupPolicy = "compact,delete" }).MaxSegmentMs);
        Assert.Equal(100_000, (config with { CleanupPolicy = "compact", MaxCompactionLagMs = 200_000 }).MaxSegmentMs);
    }

    /// <summary>Appends batches of keyed records one at a time, the clock moving between them, and notes each offset's timestamp.</summary>
    /// <remarks>Keys carry <paramref name="prefix"/>, so later workloads never supersede an earlier one's tombstones.</remarks>
    private static void WriteTimed(CompactedLog log, FakeTimeProvider clock, Dictionary<long, long> timestamps, int seed, int batches, bool tombstones, string prefix = "v")
    {
        var random = new Random(seed);
        for (var b = 0; b < batches; b++)
        {
            clock.Advance(TimeSpan.FromMilliseconds(random.Next(1, 50)));
            var records = new (string Key, string? Value)[random.Next(1, 6)];
            for (var i = 0; i < records.Length; i++)
            {
                var value = tombstones && random.Next(6) == 0 ? null : $"{prefix}-{b}-{i}-{new string('x', random.Next(0, 40))}";
                records[i] = ($"{prefix}-key-{random.Next(30):D3}", value);
            }
            var from = log.Log.LogEndOffset;
            log.Append(records);
            for (var offset = from; offset < log.Log.LogEndOffset; offset++)
            {
                timestamps[offset] = clock.GetUtcNow().ToUnixTimeMilliseconds();
            }
        }
    }

    /// <summary>Appends one batch whose records carry the given timestamps; returns its base offset.</summary>
    private static long Append(CompactedLog log, int codec, params (string Key, long Timestamp)[] records)
    {
        var batch = RecordBatchBuilder.Build(records.Select(r => ((byte[]?)Encoding.UTF8.GetBytes(r.Key), (byte[]?)Encoding.UTF8.GetBytes(new string('v', 60)), r.Timestamp)).ToArray());
        if (codec != RecordCodec.None)
        {
            batch = RecordBatchBuilder.Compress(batch, codec);
        }
        var result = log.Log.Append(batch);
        Assert.True(result.Succeeded, result.ErrorMessage);
        return result.BaseOffset;
    }

    /// <summary>Every batch stored in the log with its header's timestamps and its records.</summary>
    private static List<StoredBatch> StoredBatches(PartitionLog log)
    {
        var batches = new List<StoredBatch>();
        var offset = log.LogStartOffset;
        while (offset < log.LogEndOffset)
        {
            using var read = log.Read(offset, 4096, log.HighWatermark, minOneBatch: true);
            var bytes = read.Records.Span;
            var position = 0;
            while (position < bytes.Length)
            {
                var header = new RecordBatchHeader(bytes[position..]);
                if (header.LastOffset >= offset)
                {
                    var records = RecordBatchBuilder.ReadRecords(bytes.Slice(position, header.TotalSize));
                    batches.Add(new StoredBatch(header.BaseOffset, header.LastOffset, header.MaxTimestamp, header.DeleteHorizonMs, records));
                }
                offset = header.LastOffset + 1;
                position += header.TotalSize;
            }
        }
        return batches;
    }

    private sealed record StoredBatch(long BaseOffset, long LastOffset, long MaxTimestamp, long? DeleteHorizonMs, List<TestRecord> Records);
}
