using System.Text.Json;

namespace StreamingPipeline.Analytics.Query;

/// <summary>
/// Writes and reads a <see cref="QueryResponse"/> as Pinot's broker response:
/// <c>{"resultTable": {"dataSchema": {"columnNames", "columnDataTypes"}, "rows"}, "numRowsResultSet", "partialResult",
/// "timeUsedMs", "exceptions": [{"errorCode", "message"}]}</c>.
/// </summary>
public static class PinotResponseJson
{
    /// <summary>Writes <paramref name="response"/> to <paramref name="writer"/>.</summary>
    public static void Write(Utf8JsonWriter writer, QueryResponse response)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(response);
        writer.WriteStartObject();
        if (response.Result is { } result)
        {
            writer.WriteStartObject("resultTable");
            writer.WriteStartObject("dataSchema");
            writer.WriteStartArray("columnNames");
            foreach (var name in result.ColumnNames)
            {
                writer.WriteStringValue(name);
            }
            writer.WriteEndArray();
            writer.WriteStartArray("columnDataTypes");
            foreach (var type in result.ColumnDataTypes)
            {
                writer.WriteStringValue(type);
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
            writer.WriteStartArray("rows");
            foreach (var row in result.Rows)
            {
                writer.WriteStartArray();
                foreach (var value in row)
                {
                    WriteValue(writer, value);
                }
                writer.WriteEndArray();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        writer.WriteNumber("numRowsResultSet", response.Result?.Rows.Count ?? 0);
        writer.WriteBoolean("partialResult", response.Result?.Truncated ?? false);
        writer.WriteNumber("timeUsedMs", response.TimeUsedMs);
        writer.WriteStartArray("exceptions");
        foreach (var error in response.Exceptions)
        {
            writer.WriteStartObject();
            writer.WriteNumber("errorCode", error.ErrorCode);
            writer.WriteString("message", error.Message);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>Serializes <paramref name="response"/> to UTF-8 JSON bytes.</summary>
    public static byte[] ToUtf8Bytes(QueryResponse response)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(writer, response);
        }
        return buffer.ToArray();
    }

    /// <summary>Reads a Pinot broker response; row values stay <see cref="JsonElement"/>s (null for JSON null).</summary>
    public static QueryResponse Read(JsonElement root)
    {
        QueryResult? result = null;
        if (root.TryGetProperty("resultTable", out var table) && table.ValueKind == JsonValueKind.Object)
        {
            var schema = table.GetProperty("dataSchema");
            var names = schema.GetProperty("columnNames").EnumerateArray().Select(e => e.GetString() ?? "").ToList();
            var types = schema.TryGetProperty("columnDataTypes", out var t) ? t.EnumerateArray().Select(e => e.GetString() ?? "").ToList() : [];
            var rows = table.GetProperty("rows").EnumerateArray()
                .Select(r => r.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.Null ? null : (object?)v.Clone()).ToArray())
                .ToList();
            var truncated = root.TryGetProperty("partialResult", out var partial) && partial.ValueKind == JsonValueKind.True;
            result = new QueryResult(names, types, rows) { Truncated = truncated };
        }
        var errors = new List<QueryError>();
        if (root.TryGetProperty("exceptions", out var exceptions) && exceptions.ValueKind == JsonValueKind.Array)
        {
            foreach (var e in exceptions.EnumerateArray())
            {
                var code = e.TryGetProperty("errorCode", out var c) && c.TryGetInt32(out var n) ? n : QueryErrorCodes.Unknown;
                var message = e.TryGetProperty("message", out var m) ? m.GetString() ?? "" : "";
                errors.Add(new QueryError(code, message));
            }
        }
        var time = root.TryGetProperty("timeUsedMs", out var tu) && tu.TryGetInt64(out var ms) ? ms : 0;
        return new QueryResponse(result, errors, time);
    }

    private static void WriteValue(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case string s:
                writer.WriteStringValue(s);
                break;
            case bool b:
                writer.WriteBooleanValue(b);
                break;
            case int i:
                writer.WriteNumberValue(i);
                break;
            case long l:
                writer.WriteNumberValue(l);
                break;
            case decimal m:
                writer.WriteNumberValue(m);
                break;
            case double d when double.IsFinite(d):
                writer.WriteNumberValue(d);
                break;
            case float f when float.IsFinite(f):
                writer.WriteNumberValue(f);
                break;
            case double or float:
                // JSON has no NaN or Infinity; Pinot writes them as strings too.
                writer.WriteStringValue(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture));
                break;
            case JsonElement element:
                element.WriteTo(writer);
                break;
            case IDictionary<string, object?> map:
                writer.WriteStartObject();
                foreach (var (key, item) in map)
                {
                    writer.WritePropertyName(key);
                    WriteValue(writer, item);
                }
                writer.WriteEndObject();
                break;
            case object?[] items:
                writer.WriteStartArray();
                foreach (var item in items)
                {
                    WriteValue(writer, item);
                }
                writer.WriteEndArray();
                break;
            default:
                writer.WriteStringValue(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture));
                break;
        }
    }
}
