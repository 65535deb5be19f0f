using Confluent.Kafka;
using StreamingPipeline.Events;

namespace StreamingPipeline.Analytics.Ingestion;

/// <summary>
/// A record's value as the ingester needs it, made by <see cref="ParsingDeserializer"/> inside <c>Consume</c>: an
/// event is already copied into the batch being filled (staged there, added with its partition and offset by the
/// consume loop); a record that is not an event keeps its bytes, which the DLQ needs.
/// </summary>
/// <param name="Rejection">Why the value is not an event, or <see cref="EventRejection.None"/> for a staged event.</param>
/// <param name="Field">The field <paramref name="Rejection"/> is about.</param>
/// <param name="Raw">The value's bytes when it is not an event; null for events and for a null value.</param>
internal readonly record struct ParsedValue(EventRejection Rejection, EventField Field, byte[]? Raw)
{
    /// <summary>True when the value is an event, staged in the deserializer's batch.</summary>
    public bool IsEvent => Rejection == EventRejection.None;

    /// <summary>The rejection as the parser reports it (code and one-line reason).</summary>
    public EventParseResult Result => EventParseResult.Rejected(Rejection, Field);
}

/// <summary>
/// Parses values from librdkafka's buffer and copies an event's fields straight into <see cref="Target"/>, the batch
/// the consume loop is filling: a valid event costs no object and one copy of its strings (as UTF-8, the form both
/// stores write). One instance per consumer; it is called on the consume loop's thread only.
/// </summary>
internal sealed class ParsingDeserializer : IDeserializer<ParsedValue>
{
    /// <summary>The batch an event is staged in; set by the consume loop before each <c>Consume</c>.</summary>
    public IngestBatch? Target { get; set; }

    /// <inheritdoc />
    public ParsedValue Deserialize(ReadOnlySpan<byte> data, bool isNull, SerializationContext context)
    {
        var fields = UserEventParser.ParseFields(data);
        if (fields.IsValid)
        {
            (Target ?? throw new InvalidOperationException("No batch to stage the event in.")).Stage(fields);
            return new ParsedValue(EventRejection.None, EventField.None, null);
        }
        return new ParsedValue(fields.Rejection, fields.Field, isNull ? null : data.ToArray());
    }
}
