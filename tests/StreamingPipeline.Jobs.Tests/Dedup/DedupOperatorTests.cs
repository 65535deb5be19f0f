using StreamingPipeline.Jobs.Dedup;

namespace StreamingPipeline.Jobs.Tests.Dedup;

public sealed class DedupOperatorTests
{
    private const long Hour = 3_600_000;
    private const long Minute = 60_000;
    private const long Window = 24 * Hour;
    private const long Slide = 30 * Minute;
    // A bucket boundary: 2026-01-01T00:00Z is a multiple of 30 minutes.
    private const long T0 = 1_767_225_600_000;

    public static TheoryData<string> Backends => ["rocksdb", "memory"];

    [Theory]
    [MemberData(nameof(Backends))]
    public void First_occurrence_passes_and_a_repeat_is_dropped(string backend)
    {
        using var harness = new StoreHarness(backend);
        var dedup = new DedupOperator(harness.Open(), DedupWindow.Default);
        var id = Guid.NewGuid();

        Assert.Equal(DedupDecision.Pass, dedup.Decide(id, "u1", T0));
        Assert.Equal(DedupDecision.Duplicate, dedup.Decide(id, "u1", T0));
        dedup.Commit(0);
        Assert.Equal(DedupDecision.Duplicate, dedup.Decide(id, "u1", T0));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void The_same_event_id_for_another_user_is_a_different_event(string backend)
    {
        using var harness = new StoreHarness(backend);
        var dedup = new DedupOperator(harness.Open(), DedupWindow.Default);
        var id = Guid.NewGuid();

        Assert.Equal(DedupDecision.Pass, dedup.Decide(id, "u1", T0));
        Assert.Equal(DedupDecision.Pass, dedup.Decide(id, "u2", T0));
    }

    // The original sits anywhere in its bucket; stream time has moved on by the delay when the re-send comes.
    [Theory]
    [InlineData("rocksdb", 0)]
    [InlineData("rocksdb", Slide - 1)]
    [InlineData("memory", 0)]
    [InlineData("memory", Slide / 2)]
    [InlineData("memory", Slide - 1)]
    public void A_resend_within_the_window_minus_the_slide_is_always_dropped(string backend, long offsetInBucket)
    {
        using var harness = new StoreHarness(backend);
        var dedup = new DedupOperator(harness.Open(), DedupWindow.Default);
        var id = Guid.NewGuid();
        var original = T0 + offsetInBucket;

        Assert.Equal(DedupDecision.Pass, dedup.Decide(id, "u1", original));
        Assert.Equal(DedupDecision.Pass, dedup.Decide(Guid.NewGuid(), "u2", original + Window - Slide - 1));
        dedup.Commit(1);

        Assert.Equal(DedupDecision.Duplicate, dedup.Decide(id, "u1", original));
    }

    [Theory]
    [InlineData("rocksdb", 0)]
    [InlineData("rocksdb", Slide - 1)]
    [InlineData("memory", 0)]
    [InlineData("memory", Slide / 2)]
    [InlineData("memory", Slide - 1)]
    public void A_resend_beyond_the_window_plus_the_slide_always_passes(string backend, long offsetInBucket)
    {
        using var harness = new StoreHarness(backend);
        var dedup = new DedupOperator(harness.Open(), DedupWindow.Default);
        var id = Guid.NewGuid();
        var original = T0 + offsetInBucket;

        Assert.Equal(DedupDecision.Pass, dedup.Decide(id, "u1", original));
        Assert.Equal(DedupDecision.Pass, dedup.Decide(Guid.NewGuid(), "u2", original + Window + Slide));
        dedup.Commit(1);

        Assert.Equal(DedupDecision.PassLate, dedup.Decide(id, "u1", original));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void Between_the_edges_the_buckets_decide(string backend)
    {
        using var harness = new StoreHarness(backend);
        var dedup = new DedupOperator(harness.Open(), DedupWindow.Default);
        var early = Guid.NewGuid();   // at its bucket's first millisecond: remembered almost W + S
        var late = Guid.NewGuid();    // at its bucket's last millisecond: remembered just over W

        Assert.Equal(DedupDecision.Pass, dedup.Decide(early, "u1", T0));
        Assert.Equal(DedupDecision.Pass, dedup.Decide(late, "u1", T0 + Slide - 1));
        // Stream time T0 + W + S - 1: bucket(T0) is exactly W/S buckets back, still retained.
        Assert.Equal(DedupDecision.Pass, dedup.Decide(Guid.NewGuid(), "u2", T0 + Window + Slide - 1));

        Assert.Equal(DedupDecision.Duplicate, dedup.Decide(early, "u1", T0));
        Assert.Equal(DedupDecision.Duplicate, dedup.Decide(late, "u1", T0 + Slide - 1));

        // One more millisecond moves stream time into the next bucket: both buckets' ids are forgotten.
        Assert.Equal(DedupDecision.Pass, dedup.Decide(Guid.NewGuid(), "u2", T0 + Window + Slide));
        Assert.Equal(DedupDecision.PassLate, dedup.Decide(early, "u1", T0));
        Assert.Equal(DedupDecision.PassLate, dedup.Decide(late, "u1", T0 + Slide - 1));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void An_out_of_order_event_inside_the_window_is_remembered(string backend)
    {
        using var harness = new StoreHarness(backend);
        var dedup = new DedupOperator(harness.Open(), DedupWindow.Default);
        var id = Guid.NewGuid();

        Assert.Equal(DedupDecision.Pass, dedup.Decide(Guid.NewGuid(), "u1", T0 + (10 * Hour)));
        Assert.Equal(DedupDecision.Pass, dedup.Decide(id, "u1", T0));
        Assert.Equal(T0 + (10 * Hour), dedup.StreamTime);
        dedup.Commit(1);

        Assert.Equal(DedupDecision.Duplicate, dedup.Decide(id, "u1", T0));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void A_late_event_out_of_the_window_passes_every_time_and_is_not_remembered(string backend)
    {
        using var harness = new StoreHarness(backend);
        var store = harness.Open();
        var dedup = new DedupOperator(store, DedupWindow.Default);
        var id = Guid.NewGuid();
        Assert.Equal(DedupDecision.Pass, dedup.Decide(Guid.NewGuid(), "u1", T0 + (2 * Window)));
        dedup.Commit(0);

        Assert.Equal(DedupDecision.PassLate, dedup.Decide(id, "u1", T0));
        Assert.Equal(DedupDecision.PassLate, dedup.Decide(id, "u1", T0));
        dedup.Commit(2);

        Assert.Equal(1, store.GetStats().Keys);
        Assert.Equal(T0 + (2 * Window), dedup.StreamTime);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void Dropped_duplicates_do_not_advance_stream_time(string backend)
    {
        using var harness = new StoreHarness(backend);
        var dedup = new DedupOperator(harness.Open(), DedupWindow.Default);
        var id = Guid.NewGuid();

        Assert.Equal(DedupDecision.Pass, dedup.Decide(id, "u1", T0));
        // The same id with a later timestamp is still a duplicate (the key has no time in it), and it is dropped.
        Assert.Equal(DedupDecision.Duplicate, dedup.Decide(id, "u1", T0 + Hour));

        Assert.Equal(T0, dedup.StreamTime);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void State_shrinks_back_after_the_window_passes(string backend)
    {
        using var harness = new StoreHarness(backend);
        var store = harness.Open();
        var dedup = new DedupOperator(store, DedupWindow.Default);
        var offset = 0L;
        // One day of events, 100 per slide.
        for (var t = T0; t < T0 + Window; t += Slide / 100)
        {
            Assert.Equal(DedupDecision.Pass, dedup.Decide(Guid.NewGuid(), "u" + (t % 97), t));
            dedup.Commit(offset++);
        }
        var full = store.GetStats();
        Assert.Equal(4800, full.Keys);
        Assert.Equal(48, full.Buckets);

        // Event time moves on past the window with a few events only.
        for (var t = T0 + Window; t <= T0 + (2 * Window) + Slide; t += Slide)
        {
            Assert.Equal(DedupDecision.Pass, dedup.Decide(Guid.NewGuid(), "u0", t));
            dedup.Commit(offset++);
        }

        var after = store.GetStats();
        Assert.Equal(DedupWindow.Default.Buckets + 1, after.Keys);
        Assert.Equal(DedupWindow.Default.Buckets + 1, after.Buckets);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void Staged_changes_are_visible_before_the_commit_and_forgotten_on_abort(string backend)
    {
        using var harness = new StoreHarness(backend);
        var store = harness.Open();
        var dedup = new DedupOperator(store, DedupWindow.Default);
        var committed = Guid.NewGuid();
        var aborted = Guid.NewGuid();
        Assert.Equal(DedupDecision.Pass, dedup.Decide(committed, "u1", T0));
        dedup.Commit(0);

        Assert.Equal(DedupDecision.Pass, dedup.Decide(aborted, "u1", T0 + (3 * Window)));
        Assert.Equal(DedupDecision.Duplicate, dedup.Decide(aborted, "u1", T0 + (3 * Window)));
        dedup.Abort();

        Assert.Equal(T0, dedup.StreamTime);
        Assert.Equal(1, store.GetStats().Keys);
        Assert.Equal(DedupDecision.Duplicate, dedup.Decide(committed, "u1", T0));
        Assert.Equal(DedupDecision.Pass, dedup.Decide(aborted, "u1", T0 + Hour));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void A_key_expired_and_passed_again_in_one_transaction_is_kept(string backend)
    {
        using var harness = new StoreHarness(backend);
        var store = harness.Open();
        var dedup = new DedupOperator(store, DedupWindow.Default);
        var id = Guid.NewGuid();
        Assert.Equal(DedupDecision.Pass, dedup.Decide(id, "u1", T0));
        dedup.Commit(0);

        // In one transaction: stream time jumps past the window, then the id passes again with a new time.
        Assert.Equal(DedupDecision.Pass, dedup.Decide(Guid.NewGuid(), "u2", T0 + (2 * Window)));
        Assert.Equal(DedupDecision.Pass, dedup.Decide(id, "u1", T0 + (2 * Window)));
        dedup.Commit(2);

        Assert.Equal(DedupDecision.Duplicate, dedup.Decide(id, "u1", T0 + (2 * Window)));
        Assert.Equal(2, store.GetStats().Keys);
    }

    [Fact]
    public void Bucket_math_floors_and_the_window_must_be_whole_slides()
    {
        var window = DedupWindow.Default;
        Assert.Equal(48, window.Buckets);
        Assert.Equal(T0 / Slide, window.BucketOf(T0));
        Assert.Equal((T0 / Slide) - 1, window.BucketOf(T0 - 1));
        Assert.Equal(-1, window.BucketOf(-1));
        Assert.Equal(T0 - Window, window.RetainedSince(T0 + Slide - 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DedupWindow(TimeSpan.FromHours(24), TimeSpan.FromMinutes(7)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DedupWindow(TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(30)));
    }
}
