using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace StreamingPipeline.Events;

/// <summary>
/// A validating parser for the event's JSON form. It never throws on bad input: it returns the event or the
/// first reason the record is not one. Whole-record reasons (size, UTF-8, JSON syntax) win over field reasons,
/// so a truncated record is <c>not_json</c> even if a field before the cut was also wrong. Unknown fields are
/// ignored, so producers can add fields without breaking consumers.
/// </summary>
public static class UserEventParser
{
    private static readonly JsonReaderOptions ReaderOptions = new()
    {
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
        MaxDepth = 64,
    };

    /// <summary>Parses <paramref name="utf8"/>, rejecting records longer than <paramref name="maxRecordBytes"/>.</summary>
    public static EventParseResult Parse(ReadOnlySpan<byte> utf8, int maxRecordBytes = UserEventLimits.MaxRecordBytes)
    {
        if (utf8.Length > maxRecordBytes)
        {
            return EventParseResult.Rejected(EventRejection.RecordTooLarge);
        }
        if (!Utf8.IsValid(utf8))
        {
            return EventParseResult.Rejected(EventRejection.NotUtf8);
        }
        try
        {
            return ParseJson(utf8);
        }
        catch (JsonException)
        {
            return EventParseResult.Rejected(EventRejection.NotJson);
        }
        catch (InvalidOperationException)
        {
            // Utf8JsonReader raises this when a \uD800-style escape does not decode to a Unicode scalar.
            return EventParseResult.Rejected(EventRejection.NotUtf8);
        }
    }

    private static EventParseResult ParseJson(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8, ReaderOptions);
        if (!reader.Read())
        {
            return EventParseResult.Rejected(EventRejection.NotJson);
        }
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return ExpectEnd(ref reader, EventParseResult.Rejected(EventRejection.NotObject));
        }

        var fields = new FieldReader();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var field = Identify(ref reader);
            reader.Read();
            fields.Read(field, ref reader);
        }
        // The loop ends at the object's end (or the reader threw on broken syntax).
        return ExpectEnd(ref reader, fields.Result());
    }

    private static EventParseResult ExpectEnd(ref Utf8JsonReader reader, EventParseResult result)
    {
        // Anything after the root value makes the reader throw, which the caller turns into not_json.
        return reader.Read() ? EventParseResult.Rejected(EventRejection.NotJson) : result;
    }

    private static EventField Identify(ref Utf8JsonReader reader)
    {
        if (!reader.ValueIsEscaped)
        {
            var name = reader.ValueSpan;
            return name.Length switch
            {
                4 when name.SequenceEqual("page"u8) => EventField.Page,
                6 when name.SequenceEqual("userId"u8) => EventField.UserId,
                7 when name.SequenceEqual("eventId"u8) => EventField.EventId,
                9 when name.SequenceEqual("eventType"u8) => EventField.EventType,
                9 when name.SequenceEqual("sessionId"u8) => EventField.SessionId,
                9 when name.SequenceEqual("timestamp"u8) => EventField.Timestamp,
                _ => EventField.None,
            };
        }
        // Escaped names (rare) are compared after unescaping.
        if (reader.ValueTextEquals("eventId"u8))
        {
            return EventField.EventId;
        }
        if (reader.ValueTextEquals("userId"u8))
        {
            return EventField.UserId;
        }
        if (reader.ValueTextEquals("eventType"u8))
        {
            return EventField.EventType;
        }
        if (reader.ValueTextEquals("page"u8))
        {
            return EventField.Page;
        }
        if (reader.ValueTextEquals("sessionId"u8))
        {
            return EventField.SessionId;
        }
        return reader.ValueTextEquals("timestamp"u8) ? EventField.Timestamp : EventField.None;
    }

    /// <summary>Collects field values and remembers the first field-level problem, in document order.</summary>
    private ref struct FieldReader
    {
        private Guid _eventId;
        private string? _userId;
        private EventType _eventType;
        private string? _page;
        private string? _sessionId;
        private long _timestamp;
        private int _seen;
        private EventRejection _rejection;
        private EventField _rejectedField;

        public void Read(EventField field, ref Utf8JsonReader reader)
        {
            if (field == EventField.None)
            {
                reader.Skip();
                return;
            }
            var bit = 1 << (int)field;
            if ((_seen & bit) != 0)
            {
                Reject(EventRejection.DuplicateField, field);
                reader.Skip();
                return;
            }
            _seen |= bit;
            if (field == EventField.Timestamp)
            {
                ReadTimestamp(ref reader);
                return;
            }
            if (reader.TokenType != JsonTokenType.String)
            {
                Reject(EventRejection.WrongType, field);
                reader.Skip();
                return;
            }
            switch (field)
            {
                case EventField.EventId:
                    ReadEventId(ref reader);
                    break;
                case EventField.EventType:
                    ReadEventType(ref reader);
                    break;
                case EventField.UserId:
                    _userId = ReadString(ref reader, field, UserEventLimits.MaxIdBytes, allowEmpty: false);
                    break;
                case EventField.SessionId:
                    _sessionId = ReadString(ref reader, field, UserEventLimits.MaxIdBytes, allowEmpty: false);
                    break;
                case EventField.Page:
                    _page = ReadString(ref reader, field, UserEventLimits.MaxPageBytes, allowEmpty: true);
                    break;
                default:
                    break;
            }
        }

        public readonly EventParseResult Result()
        {
            if (_rejection != EventRejection.None)
            {
                return EventParseResult.Rejected(_rejection, _rejectedField);
            }
            for (var field = EventField.EventId; field <= EventField.Timestamp; field++)
            {
                if ((_seen & (1 << (int)field)) == 0)
                {
                    return EventParseResult.Rejected(EventRejection.MissingField, field);
                }
            }
            return EventParseResult.Valid(new UserEvent(_eventId, _userId!, _eventType, _page!, _sessionId!, _timestamp));
        }

        private void Reject(EventRejection rejection, EventField field)
        {
            if (_rejection == EventRejection.None)
            {
                _rejection = rejection;
                _rejectedField = field;
            }
        }

        private void ReadEventId(ref Utf8JsonReader reader)
        {
            var rawLength = reader.ValueSpan.Length;
            if (rawLength == 0)
            {
                Reject(EventRejection.EmptyId, EventField.EventId);
            }
            else if (rawLength > UserEventLimits.MaxIdBytes && !reader.ValueIsEscaped)
            {
                Reject(EventRejection.OversizedField, EventField.EventId);
            }
            else if (!reader.TryGetGuid(out _eventId))
            {
                Reject(EventRejection.InvalidEventId, EventField.EventId);
            }
        }

        private void ReadEventType(ref Utf8JsonReader reader)
        {
            bool known;
            if (reader.ValueIsEscaped)
            {
                var text = reader.GetString()!;
                known = text.Length <= 16 && EventTypes.TryParse(Encoding.UTF8.GetBytes(text), out _eventType);
            }
            else
            {
                known = EventTypes.TryParse(reader.ValueSpan, out _eventType);
            }
            if (!known)
            {
                Reject(EventRejection.UnknownEventType, EventField.EventType);
            }
        }

        private string? ReadString(ref Utf8JsonReader reader, EventField field, int maxBytes, bool allowEmpty)
        {
            string value;
            int byteCount;
            if (reader.ValueIsEscaped)
            {
                value = reader.GetString()!;
                byteCount = Encoding.UTF8.GetByteCount(value);
            }
            else
            {
                // Measure before decoding so an oversized value costs no allocation.
                byteCount = reader.ValueSpan.Length;
                if (byteCount > maxBytes)
                {
                    Reject(EventRejection.OversizedField, field);
                    return null;
                }
                value = byteCount == 0 ? "" : Encoding.UTF8.GetString(reader.ValueSpan);
            }
            if (byteCount == 0 && !allowEmpty)
            {
                Reject(EventRejection.EmptyId, field);
                return null;
            }
            if (byteCount > maxBytes)
            {
                Reject(EventRejection.OversizedField, field);
                return null;
            }
            return value;
        }

        private void ReadTimestamp(ref Utf8JsonReader reader)
        {
            if (reader.TokenType != JsonTokenType.Number)
            {
                Reject(EventRejection.WrongType, EventField.Timestamp);
                reader.Skip();
                return;
            }
            if (reader.TryGetInt64(out _timestamp))
            {
                if (_timestamp < UserEventLimits.MinTimestamp || _timestamp >= UserEventLimits.MaxTimestampExclusive)
                {
                    Reject(EventRejection.TimestampOutOfRange, EventField.Timestamp);
                }
                return;
            }
            // An integer too large for 64 bits is out of range; a fraction or exponent is the wrong type.
            var isInteger = reader.ValueSpan.IndexOfAny("."u8[0], "e"u8[0], "E"u8[0]) < 0;
            Reject(isInteger ? EventRejection.TimestampOutOfRange : EventRejection.WrongType, EventField.Timestamp);
        }
    }
}
