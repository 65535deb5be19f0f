using StreamingPipeline.Analytics.Ingestion;

namespace StreamingPipeline.Analytics.Stores;

/// <summary>
/// A database the ingester writes: the schema, the stored offsets, and one atomic commit per batch (rows and offsets in
/// one transaction). One instance is used by one ingester, from one thread at a time.
/// </summary>
public interface IAnalyticsStore : IAsyncDisposable
{
    /// <summary>Where the store is, for messages (a path or a host and database, never a password).</summary>
    string Description { get; }

    /// <summary>Opens the database and creates or migrates the schema.</summary>
    Task OpenAsync(CancellationToken cancellationToken);

    /// <summary>The next offset to consume, per partition of <paramref name="topic"/>, as last committed.</summary>
    Task<IReadOnlyDictionary<int, long>> ReadOffsetsAsync(string topic, CancellationToken cancellationToken);

    /// <summary>Inserts the batch's rows (ignoring eventIds already stored) and its offsets in one transaction.</summary>
    Task<BatchOutcome> CommitAsync(IngestBatch batch, CancellationToken cancellationToken);
}
