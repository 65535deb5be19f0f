namespace StreamingPipeline.Events;

/// <summary>The stable codes of <see cref="EventRejection"/> and of <see cref="EventField"/>.</summary>
public static class EventRejections
{
    /// <summary>Every rejection reason (without <see cref="EventRejection.None"/>), in enum order.</summary>
    public static IReadOnlyList<EventRejection> All { get; } =
    [
        EventRejection.NotUtf8, EventRejection.NotJson, EventRejection.NotObject, EventRejection.MissingField,
        EventRejection.DuplicateField, EventRejection.WrongType, EventRejection.UnknownEventType, EventRejection.EmptyId,
        EventRejection.OversizedField, EventRejection.InvalidEventId, EventRejection.TimestampOutOfRange,
        EventRejection.RecordTooLarge,
    ];

    /// <summary>The stable snake_case code of <paramref name="rejection"/> (<c>"ok"</c> for none).</summary>
    public static string Code(this EventRejection rejection) => rejection switch
    {
        EventRejection.None => "ok",
        EventRejection.NotUtf8 => "not_utf8",
        EventRejection.NotJson => "not_json",
        EventRejection.NotObject => "not_object",
        EventRejection.MissingField => "missing_field",
        EventRejection.DuplicateField => "duplicate_field",
        EventRejection.WrongType => "wrong_type",
        EventRejection.UnknownEventType => "unknown_event_type",
        EventRejection.EmptyId => "empty_id",
        EventRejection.OversizedField => "oversized_field",
        EventRejection.InvalidEventId => "invalid_event_id",
        EventRejection.TimestampOutOfRange => "timestamp_out_of_range",
        EventRejection.RecordTooLarge => "record_too_large",
        _ => throw new ArgumentOutOfRangeException(nameof(rejection), rejection, "not a rejection"),
    };

    /// <summary>Finds the rejection whose code is <paramref name="code"/>.</summary>
    public static bool TryParseCode(string code, out EventRejection rejection)
    {
        foreach (var candidate in All)
        {
            if (candidate.Code() == code)
            {
                rejection = candidate;
                return true;
            }
        }
        rejection = code == "ok" ? EventRejection.None : default;
        return code == "ok";
    }

    /// <summary>The JSON property name of <paramref name="field"/> (empty for none).</summary>
    public static string JsonName(this EventField field) => field switch
    {
        EventField.None => "",
        EventField.EventId => "eventId",
        EventField.UserId => "userId",
        EventField.EventType => "eventType",
        EventField.Page => "page",
        EventField.SessionId => "sessionId",
        EventField.Timestamp => "timestamp",
        _ => throw new ArgumentOutOfRangeException(nameof(field), field, "not a field"),
    };
}
