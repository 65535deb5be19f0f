namespace StreamingPipeline.Processing.State;

/// <summary>
/// Keyed state where every key belongs to one time bucket: the narrow store a windowed operator such as dedup
/// needs. Changes are staged (visible to <see cref="TryGetBucket"/> at once) and become durable only with
/// <see cref="Commit"/>, atomically with the checkpoint; <see cref="DiscardStaged"/> forgets them. Expiry drops
/// whole buckets without scanning the keyspace. Not thread-safe: one task owns a store and calls it from one thread.
/// </summary>
public interface IBucketStateStore : IDisposable
{
    /// <summary>The last committed checkpoint, read when the store opened; null when the store has never committed.</summary>
    StateCheckpoint? Checkpoint { get; }

    /// <summary>
    /// Finds <paramref name="key"/>'s bucket, staged changes first. A bucket already passed to
    /// <see cref="ExpireBefore"/> may still be returned until the commit; the caller compares it with its window.
    /// </summary>
    bool TryGetBucket(ReadOnlySpan<byte> key, out long bucket);

    /// <summary>Stages <paramref name="key"/> -> <paramref name="bucket"/>, replacing any earlier bucket of the key.</summary>
    void Put(ReadOnlySpan<byte> key, long bucket);

    /// <summary>Stages the removal of every bucket below <paramref name="firstRetainedBucket"/> with all its keys.</summary>
    void ExpireBefore(long firstRetainedBucket);

    /// <summary>Applies the staged changes and <paramref name="checkpoint"/> in one atomic write.</summary>
    void Commit(StateCheckpoint checkpoint);

    /// <summary>Forgets every staged change: the store is as of the last commit.</summary>
    void DiscardStaged();

    /// <summary>Sizes of the committed state.</summary>
    StateStoreStats GetStats();
}
