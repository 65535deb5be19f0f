using System.Data.Common;

namespace StreamingPipeline.Analytics.Query;

/// <summary>Reads a driver's result set into a <see cref="QueryResult"/>, stopping at the row limit.</summary>
internal static class DataReaderResults
{
    /// <summary>Reads at most <paramref name="maxRows"/> rows; one more row existing marks the result truncated.</summary>
    public static async Task<QueryResult> ReadAsync(DbDataReader reader, int maxRows, CancellationToken cancellationToken)
    {
        var names = new string[reader.FieldCount];
        var types = new string[reader.FieldCount];
        for (var i = 0; i < reader.FieldCount; i++)
        {
            names[i] = reader.GetName(i);
            types[i] = PinotDataTypes.Of(reader.GetFieldType(i), reader.GetDataTypeName(i));
        }
        var rows = new List<object?[]>();
        var truncated = false;
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (rows.Count == maxRows)
            {
                truncated = true;
                break;
            }
            var row = new object?[names.Length];
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = await reader.IsDBNullAsync(i, cancellationToken).ConfigureAwait(false) ? null : QueryValues.Normalize(reader.GetValue(i));
            }
            rows.Add(row);
        }
        return new QueryResult(names, types, rows) { Truncated = truncated };
    }
}
