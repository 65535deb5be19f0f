namespace StreamingPipeline.Analytics.Query;

/// <summary>
/// A database the query API reads: it runs one already-validated statement in a session that cannot write or reach
/// files, within <see cref="QueryLimits"/>, and reports failures as <see cref="QueryFailedException"/>.
/// </summary>
public interface IQueryStore : IAsyncDisposable
{
    /// <summary>A short name for logs and errors: <c>duckdb</c> or <c>postgres</c>.</summary>
    string Kind { get; }

    /// <summary>Runs <paramref name="sql"/> and returns at most <see cref="QueryLimits.MaxRows"/> rows.</summary>
    Task<QueryResult> ExecuteAsync(string sql, QueryLimits limits, CancellationToken cancellationToken);
}
