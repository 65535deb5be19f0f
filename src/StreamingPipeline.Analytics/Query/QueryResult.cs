namespace StreamingPipeline.Analytics.Query;

/// <summary>
/// The rows a query returned, Pinot-shaped: column names, Pinot type names (<see cref="PinotDataTypes"/>) and rows of
/// JSON-ready values (string, long, int, double, decimal, bool, arrays of those, or null).
/// </summary>
public sealed record QueryResult(IReadOnlyList<string> ColumnNames, IReadOnlyList<string> ColumnDataTypes, IReadOnlyList<object?[]> Rows)
{
    /// <summary>True when the row limit cut the result short.</summary>
    public bool Truncated { get; init; }
}
