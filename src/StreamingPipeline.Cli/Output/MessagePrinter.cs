using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using StreamingPipeline.Observability.Inspection;

namespace StreamingPipeline.Cli.Output;

/// <summary>Prints records read by <c>pipeline consume</c>; keys, values and headers are shown as UTF-8 text, exactly as stored.</summary>
public static class MessagePrinter
{
    // Record values are often JSON themselves; quotes stay readable (\" rather than \u0022) since the output is not HTML.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes <paramref name="message"/> as one line in <paramref name="format"/>.</summary>
    public static void Print(TextWriter output, MessageFormat format, TopicMessage message)
    {
        if (format == MessageFormat.Json)
        {
            output.WriteLine(ToJson(message));
            return;
        }
        output.WriteLine(string.Join('\t',
            message.Partition.ToString(CultureInfo.InvariantCulture),
            message.Offset.ToString(CultureInfo.InvariantCulture),
            Time(message.TimestampUnixMs),
            Text(message.Key) ?? "",
            Text(message.Value) ?? ""));
    }

    /// <summary>One JSON object: topic, partition, offset, timestamp (ISO 8601 and ms), key, value and headers; null key or value as null.</summary>
    public static string ToJson(TopicMessage message)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("topic", message.Topic);
            json.WriteNumber("partition", message.Partition);
            json.WriteNumber("offset", message.Offset);
            json.WriteString("timestamp", Time(message.TimestampUnixMs));
            json.WriteNumber("timestampMs", message.TimestampUnixMs);
            json.WriteString("timestampType", message.TimestampType);
            json.WriteString("key", Text(message.Key));
            json.WriteString("value", Text(message.Value));
            json.WriteStartArray("headers");
            foreach (var header in message.Headers)
            {
                json.WriteStartObject();
                json.WriteString("key", header.Key);
                json.WriteString("value", Text(header.Value));
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static string? Text(byte[]? bytes) => bytes is null ? null : Encoding.UTF8.GetString(bytes);

    private static string Time(long unixMs) =>
        DateTimeOffset.FromUnixTimeMilliseconds(unixMs).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
