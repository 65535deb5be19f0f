namespace StreamingPipeline.Events;

/// <summary>
/// Why a record is not a valid event. Each value has a stable code (<see cref="EventRejections.Code"/>) used in
/// DLQ headers and metrics labels; add new values at the end and never renumber or rename.
/// </summary>
public enum EventRejection : byte
{
    /// <summary>The record is a valid event.</summary>
    None = 0,

    /// <summary><c>not_utf8</c>: the bytes are not UTF-8, or a <c>\u</c> escape is not a Unicode scalar.</summary>
    NotUtf8,

    /// <summary><c>not_json</c>: empty, truncated or otherwise not one JSON value.</summary>
    NotJson,

    /// <summary><c>not_object</c>: valid JSON, but not an object.</summary>
    NotObject,

    /// <summary><c>missing_field</c>: a required field is absent.</summary>
    MissingField,

    /// <summary><c>duplicate_field</c>: a field appears twice, so its value is ambiguous.</summary>
    DuplicateField,

    /// <summary><c>wrong_type</c>: a field has the wrong JSON type (including null, or a non-integer timestamp).</summary>
    WrongType,

    /// <summary><c>unknown_event_type</c>: <c>eventType</c> is not one of the six known names.</summary>
    UnknownEventType,

    /// <summary><c>empty_id</c>: <c>eventId</c>, <c>userId</c> or <c>sessionId</c> is an empty string.</summary>
    EmptyId,

    /// <summary><c>oversized_field</c>: an id or the page is longer than <see cref="UserEventLimits"/> allows.</summary>
    OversizedField,

    /// <summary><c>invalid_event_id</c>: <c>eventId</c> is not a UUID in its 36-character form.</summary>
    InvalidEventId,

    /// <summary><c>timestamp_out_of_range</c>: the timestamp is an integer outside [2000-01-01, 2100-01-01).</summary>
    TimestampOutOfRange,

    /// <summary><c>record_too_large</c>: the record is longer than the accepted maximum.</summary>
    RecordTooLarge,
}
