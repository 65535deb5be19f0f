namespace StreamingPipeline.Analytics.Query;

/// <summary>The answer to one query: a result or the errors, and how long it took (Pinot's broker response).</summary>
public sealed record QueryResponse(QueryResult? Result, IReadOnlyList<QueryError> Exceptions, long TimeUsedMs)
{
    /// <summary>A response carrying one error.</summary>
    public static QueryResponse Failed(int errorCode, string message, long timeUsedMs = 0) =>
        new(null, [new QueryError(errorCode, message)], timeUsedMs);
}
