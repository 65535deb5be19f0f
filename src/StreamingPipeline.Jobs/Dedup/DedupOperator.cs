using StreamingPipeline.Processing.State;

namespace StreamingPipeline.Jobs.Dedup;

/// <summary>
/// The dedup decision over a <see cref="IBucketStateStore"/>, with no I/O of its own. An event is a duplicate
/// iff its (eventId, userId) is remembered in a retained bucket. Stream time is the largest timestamp among
/// PASSED events only, so the state is a pure function of the output: replaying the output through
/// <see cref="ApplyPassed(Guid, ReadOnlySpan{byte}, long)"/> rebuilds exactly what <see cref="Decide(Guid, ReadOnlySpan{byte}, long)"/> built. Changes stay staged in the store
/// until <see cref="Commit"/>; <see cref="Abort"/> returns to the last commit. One task, one thread.
/// </summary>
public sealed class DedupOperator
{
    private readonly IBucketStateStore _store;
    private readonly DedupWindow _window;
    private readonly DedupKeyFormat _keyFormat;
    private long? _committedStreamTime;
    private long _firstRetainedBucket = long.MinValue;

    /// <summary>Decides over <paramref name="store"/>, resuming from its checkpoint's stream time; keys in <paramref name="keyFormat"/>.</summary>
    public DedupOperator(IBucketStateStore store, DedupWindow window, DedupKeyFormat keyFormat = DedupKey.DefaultFormat)
    {
        _store = store;
        _window = window;
        _keyFormat = keyFormat;
        _committedStreamTime = store.Checkpoint?.StreamTime;
        ResetStreamTime(_committedStreamTime);
    }

    /// <summary>The largest timestamp of a passed event (staged included); null before the first.</summary>
    public long? StreamTime { get; private set; }

    /// <summary>The window this operator keeps.</summary>
    public DedupWindow Window => _window;

    /// <summary>Decides whether the event passes, and stages what a pass changes.</summary>
    public DedupDecision Decide(Guid eventId, string userId, long timestampMs)
    {
        Span<byte> key = stackalloc byte[DedupKey.MaxLength];
        return Decide(key[..DedupKey.Write(_keyFormat, eventId, userId, key)], timestampMs);
    }

    /// <summary>Decides whether the event (its userId as UTF-8 bytes) passes, and stages what a pass changes.</summary>
    public DedupDecision Decide(Guid eventId, ReadOnlySpan<byte> userIdUtf8, long timestampMs)
    {
        Span<byte> key = stackalloc byte[DedupKey.MaxLength];
        return Decide(key[..DedupKey.Write(_keyFormat, eventId, userIdUtf8, key)], timestampMs);
    }

    private DedupDecision Decide(ReadOnlySpan<byte> key, long timestampMs)
    {
        if (_store.TryGetBucket(key, out var bucket) && bucket >= _firstRetainedBucket)
        {
            return DedupDecision.Duplicate;
        }
        return Remember(key, timestampMs);
    }

    /// <summary>
    /// Applies an event known to have passed (read back from the output): the same rule as a pass in
    /// <see cref="Decide(Guid, ReadOnlySpan{byte}, long)"/>, and harmless when the event is already applied.
    /// </summary>
    public void ApplyPassed(Guid eventId, string userId, long timestampMs)
    {
        Span<byte> key = stackalloc byte[DedupKey.MaxLength];
        ApplyPassed(key[..DedupKey.Write(_keyFormat, eventId, userId, key)], timestampMs);
    }

    /// <summary><see cref="ApplyPassed(Guid, string, long)"/> with the userId as UTF-8 bytes.</summary>
    public void ApplyPassed(Guid eventId, ReadOnlySpan<byte> userIdUtf8, long timestampMs)
    {
        Span<byte> key = stackalloc byte[DedupKey.MaxLength];
        ApplyPassed(key[..DedupKey.Write(_keyFormat, eventId, userIdUtf8, key)], timestampMs);
    }

    private void ApplyPassed(ReadOnlySpan<byte> key, long timestampMs)
    {
        if (_store.TryGetBucket(key, out var bucket) && bucket >= _firstRetainedBucket)
        {
            // Already remembered (an overlap with the checkpoint): stream time still moves as in the original run.
            Advance(timestampMs);
            return;
        }
        Remember(key, timestampMs);
    }

    /// <summary>Makes the staged changes durable with the checkpoint: the state now reflects the output up to <paramref name="outputOffset"/>.</summary>
    public void Commit(long outputOffset)
    {
        if (StreamTime is not { } streamTime)
        {
            return;
        }
        _store.Commit(new StateCheckpoint(outputOffset, streamTime));
        _committedStreamTime = streamTime;
    }

    /// <summary>Forgets everything since the last commit, stream time included.</summary>
    public void Abort()
    {
        _store.DiscardStaged();
        ResetStreamTime(_committedStreamTime);
    }

    private DedupDecision Remember(ReadOnlySpan<byte> key, long timestampMs)
    {
        Advance(timestampMs);
        var bucket = _window.BucketOf(timestampMs);
        if (bucket < _firstRetainedBucket)
        {
            return DedupDecision.PassLate;
        }
        _store.Put(key, bucket);
        return DedupDecision.Pass;
    }

    private void Advance(long timestampMs)
    {
        if (StreamTime is { } current && timestampMs <= current)
        {
            return;
        }
        StreamTime = timestampMs;
        var firstRetained = _window.FirstRetainedBucket(timestampMs);
        if (firstRetained > _firstRetainedBucket)
        {
            _firstRetainedBucket = firstRetained;
            _store.ExpireBefore(firstRetained);
        }
    }

    private void ResetStreamTime(long? streamTime)
    {
        StreamTime = streamTime;
        _firstRetainedBucket = streamTime is { } t ? _window.FirstRetainedBucket(t) : long.MinValue;
    }
}
