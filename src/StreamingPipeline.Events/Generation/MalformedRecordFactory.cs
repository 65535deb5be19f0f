using System.Buffers;
using System.Text.Json;

namespace StreamingPipeline.Events.Generation;

/// <summary>
/// Breaks a real event in each of the ways <see cref="UserEventParser"/> rejects, cycling through the reasons
/// (and, within a reason, through the fields it can hit) so even a short stream shows every kind.
/// </summary>
internal sealed class MalformedRecordFactory
{
    private readonly ArrayBufferWriter<byte> _buffer = new(UserEventLimits.MaxRecordBytes * 2);
    private long _count;

    /// <summary>Writes a broken form of <paramref name="source"/>; returns the reason the parser will give.</summary>
    public EventRejection Write(scoped in UserEvent source, out ReadOnlySpan<byte> value)
    {
        var reasons = EventRejections.All;
        var reason = reasons[(int)(_count % reasons.Count)];
        var variant = (int)(_count / reasons.Count);
        _count++;
        _buffer.ResetWrittenCount();
        switch (reason)
        {
            case EventRejection.NotUtf8:
                WriteNotUtf8(source);
                break;
            case EventRejection.NotJson:
                {
                    var whole = UserEventSerializer.Serialize(source);
                    _buffer.Write(whole.AsSpan(0, whole.Length / 2));
                    break;
                }
            case EventRejection.NotObject:
                _buffer.Write("["u8);
                UserEventSerializer.Write(source, _buffer);
                _buffer.Write("]"u8);
                break;
            case EventRejection.MissingField:
                WriteFields(source, omit: (EventField)(1 + (variant % 6)));
                break;
            case EventRejection.DuplicateField:
                WriteFields(source, duplicate: (EventField)(1 + (variant % 6)));
                break;
            case EventRejection.WrongType:
                WriteFields(source, wrongType: (EventField)(1 + (variant % 6)));
                break;
            case EventRejection.UnknownEventType:
                WriteFields(source, eventTypeText: "teleport");
                break;
            case EventRejection.EmptyId:
                WriteFields((variant % 3) switch
                {
                    0 => source with { UserId = "" },
                    1 => source with { SessionId = "" },
                    _ => source,
                }, eventIdText: variant % 3 == 2 ? "" : null);
                break;
            case EventRejection.OversizedField:
                WriteFields((variant % 3) switch
                {
                    0 => source with { UserId = new string('u', UserEventLimits.MaxIdBytes + 1) },
                    1 => source with { SessionId = new string('s', UserEventLimits.MaxIdBytes + 1) },
                    _ => source with { Page = "/" + new string('p', UserEventLimits.MaxPageBytes) },
                });
                break;
            case EventRejection.InvalidEventId:
                WriteFields(source, eventIdText: variant % 2 == 0 ? "not-a-uuid" : source.EventId.ToString("N"));
                break;
            case EventRejection.TimestampOutOfRange:
                WriteFields(source with { Timestamp = variant % 2 == 0 ? -1 : UserEventLimits.MaxTimestampExclusive });
                break;
            case EventRejection.RecordTooLarge:
                WriteFields(source, padding: UserEventLimits.MaxRecordBytes);
                break;
            default:
                throw new InvalidOperationException($"No way to write {reason}.");
        }
        value = _buffer.WrittenSpan;
        return reason;
    }

    private void WriteNotUtf8(in UserEvent source)
    {
        // A valid event whose page carries bytes that are not UTF-8 (a lone continuation byte and an 0xFF).
        var bytes = UserEventSerializer.Serialize(source with { Page = "/~~" });
        var at = bytes.AsSpan().IndexOf("\"page\":\"/~~\""u8);
        bytes[at + 9] = 0x80;
        bytes[at + 10] = 0xFF;
        _buffer.Write(bytes);
    }

    private void WriteFields(
        in UserEvent e,
        EventField omit = EventField.None,
        EventField duplicate = EventField.None,
        EventField wrongType = EventField.None,
        string? eventTypeText = null,
        string? eventIdText = null,
        int padding = 0)
    {
        using var writer = new Utf8JsonWriter(_buffer, new JsonWriterOptions { SkipValidation = true });
        writer.WriteStartObject();
        for (var field = EventField.EventId; field <= EventField.Timestamp; field++)
        {
            if (field == omit)
            {
                continue;
            }
            var times = field == duplicate ? 2 : 1;
            for (var i = 0; i < times; i++)
            {
                var name = field.JsonName();
                if (field == wrongType)
                {
                    // A string timestamp, or a number where a string belongs.
                    if (field == EventField.Timestamp)
                    {
                        writer.WriteString(name, e.Timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        writer.WriteNumber(name, 42);
                    }
                    continue;
                }
                switch (field)
                {
                    case EventField.EventId:
                        writer.WriteString(name, eventIdText ?? e.EventId.ToString("D"));
                        break;
                    case EventField.UserId:
                        writer.WriteString(name, e.UserId);
                        break;
                    case EventField.EventType:
                        writer.WriteString(name, eventTypeText ?? EventTypes.Name(e.EventType));
                        break;
                    case EventField.Page:
                        writer.WriteString(name, e.Page);
                        break;
                    case EventField.SessionId:
                        writer.WriteString(name, e.SessionId);
                        break;
                    case EventField.Timestamp:
                        writer.WriteNumber(name, e.Timestamp);
                        break;
                    default:
                        break;
                }
            }
        }
        if (padding > 0)
        {
            writer.WriteString("padding", new string('x', padding));
        }
        writer.WriteEndObject();
        writer.Flush();
    }
}
