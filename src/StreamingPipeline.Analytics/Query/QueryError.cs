namespace StreamingPipeline.Analytics.Query;

/// <summary>One entry of a response's <c>exceptions</c>: a Pinot error code and the database's one-line message.</summary>
public sealed record QueryError(int ErrorCode, string Message);
