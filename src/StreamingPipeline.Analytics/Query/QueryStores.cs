using StreamingPipeline.Analytics.Stores;

namespace StreamingPipeline.Analytics.Query;

/// <summary>
/// Opens the store a command line names for querying, in the syntax <c>pipeline ingest --store</c> takes
/// (<see cref="AnalyticsStoreLocation"/>). A DuckDB file is opened read-only, so it must not be open in another process.
/// </summary>
public static class QueryStores
{
    /// <summary>Checks the syntax of <paramref name="spec"/> without opening anything; null when it is fine.</summary>
    public static string? Validate(string spec) => AnalyticsStoreLocation.TryParse(spec, out _, out var error) ? null : error;

    /// <summary>Opens the store <paramref name="spec"/> names; the message of a failure is one line.</summary>
    public static async Task<IQueryStore> OpenAsync(string spec, CancellationToken cancellationToken)
    {
        if (!AnalyticsStoreLocation.TryParse(spec, out var location, out var error))
        {
            throw new ArgumentException(error, nameof(spec));
        }
        if (location.PostgresConnectionString is { } postgres)
        {
            return await PostgresQueryStore.OpenAsync(postgres, cancellationToken).ConfigureAwait(false);
        }
        var duckDbPath = location.DuckDbPath!;
        if (!File.Exists(duckDbPath))
        {
            throw new FileNotFoundException($"no DuckDB database at {Path.GetFullPath(duckDbPath)}", duckDbPath);
        }
        return await DuckDbQueryStore.OpenAsync(duckDbPath, readOnly: true, cancellationToken).ConfigureAwait(false);
    }
}
