using System.Buffers;
using System.Buffers.Text;
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
        var fields = new FieldReader(keyFieldsOnly: false);
        var rejection = Read(utf8, maxRecordBytes, ref fields, out var field);
        return rejection == EventRejection.None
            ? EventParseResult.Valid(fields.ToEvent())
            : EventParseResult.Rejected(rejection, field);
    }

    /// <summary>
    /// Validates <paramref name="utf8"/> exactly as <see cref="Parse"/> does (same rejection and field for every
    /// input) but extracts only eventId, userId (its UTF-8 bytes) and timestamp, without allocating for a valid
    /// record whose strings carry no escapes: for a job that keys on those and passes the record's bytes on untouched.
    /// </summary>
    public static EventKeyFields ParseKeyFields(ReadOnlySpan<byte> utf8, int maxRecordBytes = UserEventLimits.MaxRecordBytes)
    {
        if (utf8.Length <= maxRecordBytes && Utf8.IsValid(utf8) && CanonicalForm.TryRead(utf8, out var canonical))
        {
            return new EventKeyFields(canonical.EventId, utf8.Slice(canonical.UserIdStart, canonical.UserIdLength), canonical.Timestamp);
        }
        var fields = new FieldReader(keyFieldsOnly: true);
        var rejection = Read(utf8, maxRecordBytes, ref fields, out var field);
        return rejection == EventRejection.None
            ? new EventKeyFields(fields.EventId, fields.UserIdUtf8(utf8), fields.Timestamp)
            : new EventKeyFields(rejection, field);
    }

    /// <summary>
    /// Validates <paramref name="utf8"/> exactly as <see cref="Parse"/> does (same rejection and field for every input)
    /// and gives every field, the strings as UTF-8 bytes: slices of the record itself when it is in the serializer's
    /// layout (no allocation), else the full parse's strings encoded again (escaped or reordered records, rare).
    /// </summary>
    public static EventFields ParseFields(ReadOnlySpan<byte> utf8, int maxRecordBytes = UserEventLimits.MaxRecordBytes)
    {
        if (utf8.Length <= maxRecordBytes && Utf8.IsValid(utf8) && CanonicalForm.TryRead(utf8, out var c))
        {
            return new EventFields(
                c.EventId,
                utf8.Slice(c.UserIdStart, c.UserIdLength),
                c.EventType,
                utf8.Slice(c.PageStart, c.PageLength),
                utf8.Slice(c.SessionIdStart, c.SessionIdLength),
                c.Timestamp);
        }
        var parsed = Parse(utf8, maxRecordBytes);
        if (!parsed.IsValid)
        {
            return new EventFields(parsed.Rejection, parsed.Field);
        }
        var e = parsed.Event;
        return new EventFields(e.EventId, Encoding.UTF8.GetBytes(e.UserId), e.EventType, Encoding.UTF8.GetBytes(e.Page), Encoding.UTF8.GetBytes(e.SessionId), e.Timestamp);
    }

    private static EventRejection Read(ReadOnlySpan<byte> utf8, int maxRecordBytes, ref FieldReader fields, out EventField field)
    {
        field = EventField.None;
        if (utf8.Length > maxRecordBytes)
        {
            return EventRejection.RecordTooLarge;
        }
        if (!Utf8.IsValid(utf8))
        {
            return EventRejection.NotUtf8;
        }
        try
        {
            return ReadJson(utf8, ref fields, out field);
        }
        catch (JsonException)
        {
            field = EventField.None;
            return EventRejection.NotJson;
        }
        catch (InvalidOperationException)
        {
            // Utf8JsonReader raises this when a \uD800-style escape does not decode to a Unicode scalar.
            field = EventField.None;
            return EventRejection.NotUtf8;
        }
    }

    private static EventRejection ReadJson(ReadOnlySpan<byte> utf8, ref FieldReader fields, out EventField field)
    {
        field = EventField.None;
        var reader = new Utf8JsonReader(utf8, ReaderOptions);
        if (!reader.Read())
        {
            return EventRejection.NotJson;
        }
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return ExpectEnd(ref reader, EventRejection.NotObject);
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = Identify(ref reader);
            reader.Read();
            fields.Read(name, ref reader);
        }
        // The loop ends at the object's end (or the reader threw on broken syntax).
        var rejection = ExpectEnd(ref reader, EventRejection.None);
        return rejection == EventRejection.None ? fields.Check(out field) : rejection;
    }

    private static EventRejection ExpectEnd(ref Utf8JsonReader reader, EventRejection result)
    {
        // Anything after the root value makes the reader throw, which the caller turns into not_json.
        return reader.Read() ? EventRejection.NotJson : result;
    }

    /// <summary>
    /// The serializer's own layout (<see cref="UserEventSerializer"/>: fixed field order, no whitespace, no escapes),
    /// checked byte by byte in a fraction of the JSON reader's time. It accepts only records that are valid events for
    /// <see cref="Parse"/> too (each check below is the reader's check for that exact shape); anything else, valid or
    /// not, is left to the reader, so the verdicts stay the reader's.
    /// </summary>
    private static class CanonicalForm
    {
        private const int UuidLength = 36;

        // What ends a plain JSON string: its closing quote, an escape, or a control character (which JSON forbids raw).
        private static readonly SearchValues<byte> StringStops = SearchValues.Create(
            [(byte)'"', (byte)'\\', 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31]);

        /// <summary>Where a canonical record's fields are: the strings as [start, start + length) of the record.</summary>
        public struct Fields
        {
            public Guid EventId;
            public int UserIdStart;
            public int UserIdLength;
            public EventType EventType;
            public int PageStart;
            public int PageLength;
            public int SessionIdStart;
            public int SessionIdLength;
            public long Timestamp;
        }

        /// <summary>Reads a record in the canonical layout.</summary>
        public static bool TryRead(ReadOnlySpan<byte> utf8, out Fields fields)
        {
            fields = default;
            var rest = utf8;
            if (!Skip(ref rest, "{\"eventId\":\""u8)
                || rest.Length < UuidLength
                || !Utf8Parser.TryParse(rest[..UuidLength], out fields.EventId, out var consumed, 'D')
                || consumed != UuidLength)
            {
                return false;
            }
            rest = rest[UuidLength..];
            if (!Skip(ref rest, "\",\"userId\":\""u8))
            {
                return false;
            }
            fields.UserIdStart = utf8.Length - rest.Length;
            if (!TakeString(ref rest, out fields.UserIdLength)
                || fields.UserIdLength is 0 or > UserEventLimits.MaxIdBytes
                || !Skip(ref rest, ",\"eventType\":\""u8)
                || !TakeEventType(ref rest, out fields.EventType)
                || !Skip(ref rest, ",\"page\":\""u8))
            {
                return false;
            }
            fields.PageStart = utf8.Length - rest.Length;
            if (!TakeString(ref rest, out fields.PageLength)
                || fields.PageLength > UserEventLimits.MaxPageBytes
                || !Skip(ref rest, ",\"sessionId\":\""u8))
            {
                return false;
            }
            fields.SessionIdStart = utf8.Length - rest.Length;
            return TakeString(ref rest, out fields.SessionIdLength)
                && fields.SessionIdLength is not (0 or > UserEventLimits.MaxIdBytes)
                && Skip(ref rest, ",\"timestamp\":"u8)
                && TakeTimestamp(ref rest, out fields.Timestamp)
                && rest.SequenceEqual("}"u8);
        }

        private static bool TakeEventType(ref ReadOnlySpan<byte> rest, out EventType type)
        {
            var start = rest;
            type = default;
            return TakeString(ref rest, out var length) && EventTypes.TryParse(start[..length], out type);
        }

        private static bool Skip(ref ReadOnlySpan<byte> rest, ReadOnlySpan<byte> literal)
        {
            if (!rest.StartsWith(literal))
            {
                return false;
            }
            rest = rest[literal.Length..];
            return true;
        }

        /// <summary>A string without escapes or control characters up to its closing quote, which is consumed too.</summary>
        private static bool TakeString(ref ReadOnlySpan<byte> rest, out int length)
        {
            length = rest.IndexOfAny(StringStops);
            if (length < 0 || rest[length] != (byte)'"')
            {
                return false;
            }
            rest = rest[(length + 1)..];
            return true;
        }

        /// <summary>A positive integer without leading zeros, sign, fraction or exponent, in the accepted range.</summary>
        private static bool TakeTimestamp(ref ReadOnlySpan<byte> rest, out long timestamp)
        {
            timestamp = 0;
            var digits = 0;
            while (digits < rest.Length && digits < 14 && (uint)(rest[digits] - '0') <= 9)
            {
                timestamp = (timestamp * 10) + (rest[digits] - '0');
                digits++;
            }
            if (digits is 0 or 14 || rest[0] == (byte)'0'
                || timestamp < UserEventLimits.MinTimestamp || timestamp >= UserEventLimits.MaxTimestampExclusive)
            {
                return false;
            }
            rest = rest[digits..];
            return true;
        }
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

    /// <summary>
    /// Collects field values and remembers the first field-level problem, in document order. With keyFieldsOnly it
    /// checks page and sessionId without decoding them and keeps userId as a position in the record (or, when
    /// escaped, its unescaped UTF-8 bytes): the checks, and so the rejections, are the same in both modes.
    /// </summary>
    private ref struct FieldReader(bool keyFieldsOnly)
    {
        private readonly bool _keyFieldsOnly = keyFieldsOnly;
        private Guid _eventId;
        private string? _userId;
        private int _userIdStart;
        private int _userIdLength;
        private byte[]? _userIdUnescaped;
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
                    _userId = ReadString(ref reader, field, UserEventLimits.MaxIdBytes, allowEmpty: false, keep: true);
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

        public readonly Guid EventId => _eventId;

        public readonly long Timestamp => _timestamp;

        /// <summary>The first field-level problem, else a missing field, else none.</summary>
        public readonly EventRejection Check(out EventField field)
        {
            if (_rejection != EventRejection.None)
            {
                field = _rejectedField;
                return _rejection;
            }
            for (field = EventField.EventId; field <= EventField.Timestamp; field++)
            {
                if ((_seen & (1 << (int)field)) == 0)
                {
                    return EventRejection.MissingField;
                }
            }
            field = EventField.None;
            return EventRejection.None;
        }

        public readonly UserEvent ToEvent() => new(_eventId, _userId!, _eventType, _page!, _sessionId!, _timestamp);

        /// <summary>userId's UTF-8 bytes (key-fields mode): a slice of the record unless it was escaped.</summary>
        public readonly ReadOnlySpan<byte> UserIdUtf8(ReadOnlySpan<byte> record) =>
            _userIdUnescaped ?? record.Slice(_userIdStart, _userIdLength);

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

        /// <summary>
        /// Checks a string field's length; returns its value unless in key-fields mode, where only userId
        /// (<paramref name="keep"/>) is remembered, as a position or as unescaped bytes.
        /// </summary>
        private string? ReadString(ref Utf8JsonReader reader, EventField field, int maxBytes, bool allowEmpty, bool keep = false)
        {
            string? value;
            int byteCount;
            if (reader.ValueIsEscaped)
            {
                // Rare: decode in both modes, so an escape that is not a Unicode scalar is rejected the same way.
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
                value = _keyFieldsOnly ? null : byteCount == 0 ? "" : Encoding.UTF8.GetString(reader.ValueSpan);
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
            if (_keyFieldsOnly)
            {
                if (keep)
                {
                    if (value is not null)
                    {
                        _userIdUnescaped = Encoding.UTF8.GetBytes(value);
                    }
                    else
                    {
                        // A string token starts at its opening quote; the record is one segment, so this is its offset.
                        _userIdStart = checked((int)reader.TokenStartIndex + 1);
                        _userIdLength = byteCount;
                    }
                }
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
