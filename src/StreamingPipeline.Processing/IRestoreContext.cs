namespace StreamingPipeline.Processing;

/// <summary>
/// Reads a task's own output partition with read_committed, for a task that rebuilds its state from its output.
/// "The end" is the partition's end once no transaction is open on it, so every committed record is included.
/// </summary>
public interface IRestoreContext
{
    /// <summary>The output topic.</summary>
    string Topic { get; }

    /// <summary>The output partition (same number as the task's input partition).</summary>
    int Partition { get; }

    /// <summary>The offset after the last record of the partition, once no transaction is open on it.</summary>
    ValueTask<long> GetEndOffsetAsync(CancellationToken cancellationToken);

    /// <summary>The last committed record of the partition (offset, key, value, timestamp), or null when it has none.</summary>
    ValueTask<RestoreRecord?> GetLastCommittedAsync(CancellationToken cancellationToken);

    /// <summary>The first offset whose record timestamp is at or after <paramref name="timestampMs"/> (the end offset if none).</summary>
    ValueTask<long> GetOffsetForTimestampAsync(long timestampMs, CancellationToken cancellationToken);

    /// <summary>The committed records from <paramref name="fromOffset"/> to the end, in order.</summary>
    IAsyncEnumerable<RestoreRecord> ReadAsync(long fromOffset, CancellationToken cancellationToken);
}
