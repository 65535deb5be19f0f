using StreamingPipeline.Analytics.Query;

namespace StreamingPipeline.Observability.Tests.Console;

/// <summary>A query store with no tables: the console tests serve the query API only to host the console.</summary>
internal sealed class EmptyQueryStore : IQueryStore
{
    public string Kind => "empty";

    public Task<QueryResult> ExecuteAsync(string sql, QueryLimits limits, CancellationToken cancellationToken) =>
        throw new QueryFailedException(QueryErrorCodes.QueryExecution, "no tables");

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
