using System.Text;
using Confluent.Kafka;
using StreamingPipeline.Events;
using StreamingPipeline.Events.Generation;
using StreamingPipeline.Jobs.Dedup;
using StreamingPipeline.Processing;
using StreamingPipeline.Processing.State;

namespace StreamingPipeline.Jobs.Tests.Integration;

public sealed class DedupJobTests
{
    private const int Partitions = 3;
    private const long Start = 1_767_225_600_000;

    private static GeneratorOptions Options(long seed, double speedup) => new()
    {
        Seed = seed,
        EventTimeStart = Start,
        MaxRecords = 9_000,
        Users = 3_000,
        ConcurrentSessions = 300,
        DuplicateShare = 0.1,
        MalformedShare = 0.03,
        EventTimeSpeedup = speedup,
    };

    [Fact]
    public async Task A_generated_stream_comes_out_with_each_valid_event_once_and_the_malformed_records_in_the_dlq()
    {
        // Event time moves at real pace: no re-send comes near the window's edge, so the count is exact.
        var stream = GeneratedStream.Create(Options(seed: 21, speedup: 1), Partitions);
        Assert.Equal(stream.Summary.ExpectedDedupOutput.Min, stream.Summary.ExpectedDedupOutput.Max);
        Assert.True(stream.Summary.Duplicates > 100, "the stream has too few duplicates to prove anything");
        await using var cluster = await DedupCluster.StartAsync(Partitions);
        cluster.Produce(stream.ToProduce(..));

        await cluster.RunUntilCaughtUpAsync("dedup", cluster.StateRoot, StateBackend.RocksDb, DedupWindow.Default);

        var output = cluster.ReadCommitted(DedupCluster.Output, Partitions);
        Assert.Equal(stream.Summary.ExpectedDedupOutput.Min, output.Count);
        var ids = output.Select(r => UserEventParser.Parse(r.Message.Value).Event.EventId).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Equal(stream.Records.Where(r => r.Kind == RecordKind.Event).Select(r => r.EventId).Order(), ids.Order());
        var sent = stream.Records.Where(r => r.Kind == RecordKind.Event).ToDictionary(r => r.EventId);
        Assert.All(output, r =>
        {
            var original = sent[UserEventParser.Parse(r.Message.Value).Event.EventId];
            Assert.Equal(original.Key, r.Message.Key);
            Assert.Equal(original.Value, r.Message.Value);
            Assert.Equal(original.Timestamp, r.Message.Timestamp.UnixTimestampMs);
            Assert.Equal(original.Partition, r.Partition.Value);
        });

        var dlq = cluster.ReadCommitted(DedupCluster.Dlq, 1);
        Assert.Equal(stream.Summary.Malformed, dlq.Count);
        var codes = dlq.GroupBy(r => Encoding.UTF8.GetString(r.Message.Headers.GetLastBytes(DeadLetterHeaders.Code)))
            .ToDictionary(g => g.Key, g => (long)g.Count());
        Assert.Equal(stream.Summary.MalformedByReason.Where(kv => kv.Value > 0).OrderBy(kv => kv.Key), codes.OrderBy(kv => kv.Key));
        var malformed = stream.Records.Where(r => r.Kind == RecordKind.Malformed).Select(r => Convert.ToHexString(r.Value)).Order();
        Assert.Equal(malformed, dlq.Select(r => Convert.ToHexString(r.Message.Value)).Order());
    }

    [Fact]
    public async Task With_event_time_sped_up_resends_beyond_the_window_pass_those_inside_are_dropped_and_state_shrinks_back()
    {
        // 20 s of event time per record: 9,000 records span ~50 h, and re-sends reach seconds to 30 h back.
        var stream = GeneratedStream.Create(Options(seed: 22, speedup: 20_000), Partitions);
        var classes = stream.Records.Where(r => r.Kind == RecordKind.Duplicate).GroupBy(r => r.DelayClass).ToDictionary(g => g.Key, g => g.Count());
        Assert.True(classes.GetValueOrDefault(DelayClass.BeyondWindow) > 0 && classes.GetValueOrDefault(DelayClass.Hours) > 0, "no re-sends beyond the window or within hours");
        await using var cluster = await DedupCluster.StartAsync(Partitions);
        cluster.Produce(stream.ToProduce(..));

        await cluster.RunUntilCaughtUpAsync("dedup", cluster.StateRoot, StateBackend.RocksDb, DedupWindow.Default);

        var output = cluster.ReadCommitted(DedupCluster.Output, Partitions);
        Assert.InRange(output.Count, stream.Summary.ExpectedDedupOutput.Min, stream.Summary.ExpectedDedupOutput.Max);
        var expected = stream.ExpectedOutput(Partitions, DedupWindow.Default);
        for (var p = 0; p < Partitions; p++)
        {
            var partition = p;
            Assert.Equal(expected[p].Select(Convert.ToHexString), output.Where(r => r.Partition.Value == partition).Select(r => Convert.ToHexString(r.Message.Value)));
        }
        var timesOut = output.GroupBy(r => UserEventParser.Parse(r.Message.Value).Event.EventId).ToDictionary(g => g.Key, g => g.Count());
        foreach (var resend in stream.Records.Where(r => r.Kind == RecordKind.Duplicate))
        {
            if (resend.DelayClass == DelayClass.BeyondWindow)
            {
                Assert.True(timesOut[resend.EventId] >= 2, $"re-send of {resend.EventId} beyond the window was dropped");
            }
            else if (resend.DelayClass != DelayClass.WindowEdge)
            {
                Assert.Equal(1, timesOut[resend.EventId]);
            }
        }

        var keysBefore = StateKeys(cluster, "dedup");
        Assert.All(keysBefore, k => Assert.True(k > 100, $"only {k} keys in a partition's state"));
        // Event time moves two windows on with one event per partition: everything before expires.
        cluster.Produce(Enumerable.Range(0, Partitions).Select(p => Event(p, Guid.NewGuid(), stream.Summary.LastTimestamp!.Value + (2 * DedupWindow.Default.WindowMs))));
        await cluster.RunUntilCaughtUpAsync("dedup", cluster.StateRoot, StateBackend.RocksDb, DedupWindow.Default);

        Assert.Equal(Enumerable.Repeat(1L, Partitions), StateKeys(cluster, "dedup"));
    }

    [Theory]
    [InlineData(StateBackend.RocksDb)]
    [InlineData(StateBackend.Memory)]
    public async Task Restoring_on_an_empty_state_directory_gives_the_decisions_of_the_uninterrupted_state(StateBackend backend)
    {
        var stream = GeneratedStream.Create(Options(seed: 23, speedup: 20_000), Partitions);
        await using var cluster = await DedupCluster.StartAsync(Partitions);
        var half = stream.Records.Count / 2;
        cluster.Produce(stream.ToProduce(..half));
        await cluster.RunUntilCaughtUpAsync("dedup", Path.Combine(cluster.StateRoot, "first"), backend, DedupWindow.Default);

        // The partitions move to an instance with an empty data dir: it rebuilds from the output by time.
        cluster.Produce(stream.ToProduce(half..));
        await cluster.RunUntilCaughtUpAsync("dedup", Path.Combine(cluster.StateRoot, "second"), backend, DedupWindow.Default);

        var output = cluster.ReadCommitted(DedupCluster.Output, Partitions);
        var expected = stream.ExpectedOutput(Partitions, DedupWindow.Default);
        for (var p = 0; p < Partitions; p++)
        {
            var partition = p;
            Assert.Equal(expected[p].Select(Convert.ToHexString), output.Where(r => r.Partition.Value == partition).Select(r => Convert.ToHexString(r.Message.Value)));
        }
    }

    [Fact]
    public async Task A_state_directory_written_with_another_key_format_is_rebuilt_from_the_output_not_trusted()
    {
        var stream = GeneratedStream.Create(Options(seed: 24, speedup: 20_000), Partitions);
        await using var cluster = await DedupCluster.StartAsync(Partitions);
        var half = stream.Records.Count / 2;
        cluster.Produce(stream.ToProduce(..half));
        await cluster.RunUntilCaughtUpAsync("dedup", cluster.StateRoot, StateBackend.RocksDb, DedupWindow.Default);
        // An older version's state: binary keys, checkpointed at the output's end. Trusted, none of its keys would
        // match the current format's, and every re-send of a first-half event in the second half would pass again.
        var lastOffsets = cluster.ReadCommitted(DedupCluster.Output, Partitions).GroupBy(r => r.Partition.Value).ToDictionary(g => g.Key, g => g.Max(r => r.Offset.Value));
        for (var p = 0; p < Partitions; p++)
        {
            var directory = cluster.StateDirectoryOf(cluster.StateRoot, "dedup", p);
            Directory.Delete(directory, recursive: true);
            using var old = RocksDbBucketStateStore.Open(directory, keyLayout: DedupKey.LayoutName(DedupKeyFormat.Binary));
            old.Put(new byte[20], 0);
            old.Commit(new StateCheckpoint(lastOffsets[p], stream.Records[half - 1].Timestamp));
        }

        cluster.Produce(stream.ToProduce(half..));
        await cluster.RunUntilCaughtUpAsync("dedup", cluster.StateRoot, StateBackend.RocksDb, DedupWindow.Default);

        var output = cluster.ReadCommitted(DedupCluster.Output, Partitions);
        var expected = stream.ExpectedOutput(Partitions, DedupWindow.Default);
        for (var p = 0; p < Partitions; p++)
        {
            var partition = p;
            Assert.Equal(expected[p].Select(Convert.ToHexString), output.Where(r => r.Partition.Value == partition).Select(r => Convert.ToHexString(r.Message.Value)));
        }
    }

    [Fact]
    public async Task An_event_whose_first_occurrence_was_only_in_an_aborted_transaction_passes_when_it_comes_again()
    {
        await using var cluster = await DedupCluster.StartAsync(1);
        var abortedFirst = Guid.NewGuid();
        var committedTwice = Guid.NewGuid();
        cluster.Produce([Event(0, committedTwice, Start)]);
        cluster.ProduceAborted([Event(0, abortedFirst, Start + 1)]);
        cluster.Produce([Event(0, abortedFirst, Start + 1), Event(0, committedTwice, Start)]);

        await cluster.RunUntilCaughtUpAsync("dedup", cluster.StateRoot, StateBackend.RocksDb, DedupWindow.Default);

        var ids = cluster.ReadCommitted(DedupCluster.Output, 1).Select(r => UserEventParser.Parse(r.Message.Value).Event.EventId);
        Assert.Equal([committedTwice, abortedFirst], ids);
    }

    [Fact]
    public async Task An_event_whose_first_pass_was_in_an_aborted_dedup_transaction_passes_when_processed_again()
    {
        await using var cluster = await DedupCluster.StartAsync(1);
        var poison = Guid.NewGuid();
        var before = Enumerable.Range(0, 50).Select(i => Event(0, Guid.NewGuid(), Start + i)).ToList();
        var after = Enumerable.Range(0, 50).Select(i => Event(0, Guid.NewGuid(), Start + 100 + i)).ToList();
        cluster.Produce([.. before, Event(0, poison, Start + 60), .. after, Event(0, poison, Start + 60)]);
        var job = new AbortOnceJob(new DedupJob(DedupWindow.Default, StateBackend.RocksDb), poison);

        var metrics = await cluster.RunUntilCaughtUpAsync("dedup", cluster.StateRoot, job);

        Assert.True(job.Fired);
        Assert.True(metrics.Aborts >= 1, "no transaction aborted");
        var ids = cluster.ReadCommitted(DedupCluster.Output, 1).Select(r => UserEventParser.Parse(r.Message.Value).Event.EventId).ToList();
        Assert.Equal(101, ids.Count);
        Assert.Single(ids, poison);
    }

    private static (int, byte[], byte[], long) Event(int partition, Guid id, long timestamp)
    {
        var e = new UserEvent(id, "user-" + partition, EventType.Click, "/p", "s-1", timestamp);
        return (partition, Encoding.UTF8.GetBytes(e.UserId), UserEventSerializer.Serialize(e), timestamp);
    }

    private static long[] StateKeys(DedupCluster cluster, string group) =>
        Enumerable.Range(0, cluster.Partitions).Select(p =>
        {
            using var store = RocksDbBucketStateStore.Open(cluster.StateDirectoryOf(cluster.StateRoot, group, p), keyLayout: DedupKey.LayoutName(DedupKey.DefaultFormat));
            return store.GetStats().Keys;
        }).ToArray();
}
