using StreamingPipeline.Jobs.Dedup;
using StreamingPipeline.Processing.State;

namespace StreamingPipeline.Jobs.Tests.Dedup;

public sealed class StateSizeModelTests
{
    [Theory]
    [InlineData(DedupKeyFormat.Hash96)]
    [InlineData(DedupKeyFormat.Binary)]
    [InlineData(DedupKeyFormat.Text)]
    public void The_model_predicts_the_measured_RocksDB_state_at_the_peak_within_25_percent(DedupKeyFormat keyFormat)
    {
        // A 1 h window in 5 min buckets keeps the run small: 10,000 users at 4 records an hour, 5 % re-sends.
        var input = new StateSizeInput(10_000, 96, TimeSpan.FromHours(1), TimeSpan.FromMinutes(5), DuplicateShare: 0.05, Partitions: 1, KeyFormat: keyFormat);
        var window = new DedupWindow(input.Window, input.Slide);
        var directory = Directory.CreateTempSubdirectory("state-size-model-");
        try
        {
            using var store = RocksDbBucketStateStore.Open(Path.Combine(directory.FullName, "state"), keyLayout: DedupKey.LayoutName(keyFormat));
            // Up to the last millisecond before a bucket boundary past W + S: every retained bucket is full.
            var peakAt = Start + (long)(input.Window + (2 * input.Slide)).TotalMilliseconds - 1;
            Drive(new DedupOperator(store, window, keyFormat), input, until: peakAt);
            store.CompactAll();

            var estimate = StateSizeModel.Estimate(input);
            var keys = store.GetStats().Keys;
            var sstBytes = store.GetLongProperty("rocksdb.total-sst-files-size");
            Assert.InRange(keys, estimate.PeakKeys * 0.95, estimate.PeakKeys * 1.05);
            Assert.InRange(sstBytes, estimate.LiveSstBytes * 0.75, estimate.LiveSstBytes * 1.25);
            Assert.InRange(store.GetLongProperty("rocksdb.estimate-live-data-size"), estimate.LiveSstBytes * 0.75, estimate.LiveSstBytes * 1.25);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void The_peak_is_a_full_window_plus_a_bucket_of_the_remembered_rate_and_scales_with_users_and_window()
    {
        var day = StateSizeModel.Estimate(new StateSizeInput(10_000_000, 50, TimeSpan.FromHours(24), TimeSpan.FromMinutes(30)));
        Assert.Equal(10_000_000 * 50 * 0.95 * 24.5 / 24, day.PeakKeys, tolerance: 1);
        Assert.Equal(12, day.KeyBytes);
        var binary = StateSizeModel.Estimate(new StateSizeInput(10_000_000, 50, TimeSpan.FromHours(24), TimeSpan.FromMinutes(30), KeyFormat: DedupKeyFormat.Binary));
        Assert.Equal(25, binary.KeyBytes);
        Assert.True(day.RocksDbBytesPerKey < binary.RocksDbBytesPerKey);
        var week = StateSizeModel.Estimate(new StateSizeInput(10_000_000, 50, TimeSpan.FromDays(7), TimeSpan.FromMinutes(30)));
        Assert.InRange((double)week.LiveSstBytes / day.LiveSstBytes, 6.5, 7.2);
        var memory = StateSizeModel.Estimate(new StateSizeInput(1_000, 10, TimeSpan.FromHours(24), TimeSpan.FromMinutes(30), UserIdBytes: 40, KeyFormat: DedupKeyFormat.Binary));
        Assert.Equal(56, memory.KeyBytes);
        Assert.True(memory.MemoryBytesPerKey > memory.KeyBytes);
    }

    [Fact]
    public void An_input_that_cannot_be_sized_is_refused_with_a_reason()
    {
        Assert.Contains("whole number of slides", new StateSizeInput(1, 1, TimeSpan.FromHours(1), TimeSpan.FromMinutes(7)).Validate());
        Assert.Contains("--users", new StateSizeInput(0, 1, TimeSpan.FromHours(1), TimeSpan.FromMinutes(5)).Validate());
        Assert.Throws<ArgumentException>(() => StateSizeModel.Estimate(new StateSizeInput(1, 1, TimeSpan.FromHours(1), TimeSpan.FromMinutes(5), DuplicateShare: 1)));
    }

    private const long Start = 1_767_225_600_000L;

    /// <summary>Uniform users, random eventIds, re-sends of one of the last 4,096 events; the clock ticks for every record.</summary>
    private static void Drive(DedupOperator dedup, StateSizeInput input, long until)
    {
        var random = new Random(7);
        var users = Enumerable.Range(0, (int)input.Users).Select(u => "u-" + u.ToString("D6", System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var recent = new (Guid Id, int User, long Timestamp)[4_096];
        var recentCount = 0;
        var intervalMs = 86_400_000.0 / (input.Users * input.EventsPerUserPerDay);
        long passed = 0;
        Span<byte> bytes = stackalloc byte[16];
        for (var time = (double)Start; (long)time <= until; time += intervalMs)
        {
            var (id, user, timestamp) = recentCount > 0 && random.NextDouble() < input.DuplicateShare
                ? recent[random.Next(Math.Min(recentCount, recent.Length))]
                : (Guid.Empty, random.Next(users.Length), (long)time);
            if (id == Guid.Empty)
            {
                random.NextBytes(bytes);
                id = new Guid(bytes);
                recent[recentCount++ % recent.Length] = (id, user, timestamp);
            }
            if (dedup.Decide(id, users[user], timestamp) != DedupDecision.Duplicate && ++passed % 5_000 == 0)
            {
                dedup.Commit(passed - 1);
            }
        }
        dedup.Commit(passed - 1);
    }
}
