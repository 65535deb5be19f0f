using StreamingPipeline.Jobs.Dedup;
using StreamingPipeline.Processing.State;

namespace StreamingPipeline.Jobs.Tests.Dedup;

/// <summary>
/// The state is a function of the output: rebuilding it from the passed events alone (by time on an empty store,
/// or from a checkpoint) must give the same decisions as the state that was never interrupted.
/// </summary>
public sealed class DedupRestoreTests
{
    private const long Minute = 60_000;
    private static readonly DedupWindow Window = new(TimeSpan.FromHours(1), TimeSpan.FromMinutes(10));

    public static TheoryData<string, int> Cases => new()
    {
        { "memory", 1 }, { "memory", 2 }, { "memory", 3 },
        { "rocksdb", 4 }, { "rocksdb", 5 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Rebuilding_from_the_output_by_time_gives_the_uninterrupted_decisions(string backend, int seed)
    {
        var stream = SeededStream(seed, count: 6000);
        var (decisions, output) = RunUninterrupted(stream);
        var random = new Random(seed);
        using var harness = new StoreHarness(backend);

        for (var round = 0; round < 4; round++)
        {
            var cut = random.Next(stream.Count / 4, stream.Count);
            var store = harness.Open($"rebuild-{round}");
            var dedup = new DedupOperator(store, Window);
            var passedBeforeCut = output.Where(o => o.Index < cut).ToList();

            // What a restore on an empty data dir does: start at the first output record at or after the window's start.
            var target = Window.RetainedSince(passedBeforeCut[^1].Event.Timestamp);
            var start = passedBeforeCut.FindIndex(o => o.Event.Timestamp >= target);
            for (var offset = start; offset < passedBeforeCut.Count; offset++)
            {
                var e = passedBeforeCut[offset].Event;
                dedup.ApplyPassed(e.Id, e.User, e.Timestamp);
            }
            dedup.Commit(passedBeforeCut.Count - 1);

            AssertSameDecisions(stream, decisions, cut, dedup);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Catching_up_from_a_checkpoint_gives_the_uninterrupted_decisions(string backend, int seed)
    {
        var stream = SeededStream(seed, count: 6000);
        var (decisions, output) = RunUninterrupted(stream);
        var random = new Random(seed);
        using var harness = new StoreHarness(backend);

        var checkpointAt = random.Next(stream.Count / 4, stream.Count / 2);
        var cut = random.Next(checkpointAt, stream.Count);
        var store = harness.Open();
        var dedup = new DedupOperator(store, Window);
        long lastOffset = -1;
        for (var i = 0; i < checkpointAt; i++)
        {
            var e = stream[i];
            if (dedup.Decide(e.Id, e.User, e.Timestamp) != DedupDecision.Duplicate)
            {
                lastOffset++;
            }
            if (i % 50 == 49)
            {
                dedup.Commit(lastOffset);
            }
        }
        // The state's commit lags the output (a crash between the Kafka commit and the state write): the staged
        // tail is lost, RocksDB is reopened from disk.
        if (harness.Backend == StateBackend.RocksDb)
        {
            store = harness.Reopen(store);
        }
        else
        {
            dedup.Abort();
        }
        var checkpoint = store.Checkpoint!.Value;
        var resumed = new DedupOperator(store, Window);
        var passedBeforeCut = output.Where(o => o.Index < cut).ToList();
        for (var offset = (int)checkpoint.OutputOffset + 1; offset < passedBeforeCut.Count; offset++)
        {
            var e = passedBeforeCut[offset].Event;
            resumed.ApplyPassed(e.Id, e.User, e.Timestamp);
        }
        resumed.Commit(passedBeforeCut.Count - 1);

        AssertSameDecisions(stream, decisions, cut, resumed);
    }

    private static void AssertSameDecisions(List<StreamEvent> stream, DedupDecision[] decisions, int from, DedupOperator dedup)
    {
        for (var i = from; i < stream.Count; i++)
        {
            var e = stream[i];
            var decision = dedup.Decide(e.Id, e.User, e.Timestamp);
            Assert.True(decision == decisions[i], $"event {i}: {decision}, uninterrupted {decisions[i]}");
            if (i % 37 == 0)
            {
                dedup.Commit(i);
            }
        }
    }

    private static (DedupDecision[] Decisions, List<(int Index, StreamEvent Event)> Output) RunUninterrupted(List<StreamEvent> stream)
    {
        using var harness = new StoreHarness("memory");
        var dedup = new DedupOperator(harness.Open(), Window);
        var decisions = new DedupDecision[stream.Count];
        var output = new List<(int, StreamEvent)>();
        for (var i = 0; i < stream.Count; i++)
        {
            decisions[i] = dedup.Decide(stream[i].Id, stream[i].User, stream[i].Timestamp);
            if (decisions[i] != DedupDecision.Duplicate)
            {
                output.Add((i, stream[i]));
            }
            if (i % 100 == 99)
            {
                dedup.Commit(output.Count - 1);
            }
        }
        Assert.Contains(DedupDecision.Duplicate, decisions);
        Assert.Contains(DedupDecision.PassLate, decisions);
        return (decisions, output);
    }

    /// <summary>
    /// Event time advances ~20 s per record with jitter back of up to 15 min (out of order); 8 % of records re-send
    /// an earlier event with its original timestamp after a delay from seconds to two windows.
    /// </summary>
    private static List<StreamEvent> SeededStream(int seed, int count)
    {
        var random = new Random(seed);
        var stream = new List<StreamEvent>(count);
        var clock = 1_767_225_600_000L;
        for (var i = 0; i < count; i++)
        {
            clock += random.Next(0, 40_000);
            if (stream.Count > 10 && random.NextDouble() < 0.08)
            {
                var delay = (long)Math.Exp(random.NextDouble() * Math.Log(2 * Window.WindowMs / 1000.0)) * 1000;
                var back = stream.FindLastIndex(e => e.Timestamp <= clock - delay);
                if (back >= 0)
                {
                    stream.Add(stream[back - random.Next(0, Math.Min(50, back + 1))]);
                    continue;
                }
            }
            var jitter = random.NextDouble() < 0.2 ? random.Next(0, (int)(15 * Minute)) : 0;
            var id = new byte[16];
            random.NextBytes(id);
            stream.Add(new StreamEvent(new Guid(id), "user-" + random.Next(0, 300), clock - jitter));
        }
        return stream;
    }

    private sealed record StreamEvent(Guid Id, string User, long Timestamp);
}
