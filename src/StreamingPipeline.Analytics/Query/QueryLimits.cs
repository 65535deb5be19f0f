namespace StreamingPipeline.Analytics.Query;

/// <summary>What protects the server from one query: how long it may run and how many rows it may return.</summary>
public sealed record QueryLimits
{
    /// <summary>The defaults: 10 s and 10,000 rows.</summary>
    public static readonly QueryLimits Default = new();

    /// <summary>A query running longer is cancelled and answered with <see cref="QueryErrorCodes.ExecutionTimeout"/>.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Rows beyond this are not returned; the response says <c>partialResult: true</c>.</summary>
    public int MaxRows { get; init; } = 10_000;
}
