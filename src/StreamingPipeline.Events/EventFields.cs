namespace StreamingPipeline.Events;

/// <summary>
/// What <see cref="UserEventParser.ParseFields"/> made of a record: every field of a valid event with its strings as
/// UTF-8 bytes (usually slices of the record itself), or the reason it is not one, exactly as
/// <see cref="UserEventParser.Parse"/> would give it.
/// </summary>
public readonly ref struct EventFields
{
    internal EventFields(Guid eventId, ReadOnlySpan<byte> userIdUtf8, EventType eventType, ReadOnlySpan<byte> pageUtf8, ReadOnlySpan<byte> sessionIdUtf8, long timestamp)
    {
        EventId = eventId;
        UserIdUtf8 = userIdUtf8;
        EventType = eventType;
        PageUtf8 = pageUtf8;
        SessionIdUtf8 = sessionIdUtf8;
        Timestamp = timestamp;
    }

    internal EventFields(EventRejection rejection, EventField field)
    {
        Rejection = rejection;
        Field = field;
    }

    /// <summary>The event's id; default when <see cref="IsValid"/> is false.</summary>
    public Guid EventId { get; }

    /// <summary>The userId's UTF-8 bytes (unescaped); empty when <see cref="IsValid"/> is false.</summary>
    public ReadOnlySpan<byte> UserIdUtf8 { get; }

    /// <summary>What the user did.</summary>
    public EventType EventType { get; }

    /// <summary>The page's UTF-8 bytes (unescaped; may be empty).</summary>
    public ReadOnlySpan<byte> PageUtf8 { get; }

    /// <summary>The sessionId's UTF-8 bytes (unescaped).</summary>
    public ReadOnlySpan<byte> SessionIdUtf8 { get; }

    /// <summary>The event time, epoch milliseconds.</summary>
    public long Timestamp { get; }

    /// <summary>Why the record was rejected, or <see cref="EventRejection.None"/>.</summary>
    public EventRejection Rejection { get; }

    /// <summary>The field the rejection is about, or <see cref="EventField.None"/> for whole-record reasons.</summary>
    public EventField Field { get; }

    /// <summary>True when the record is a valid event.</summary>
    public bool IsValid => Rejection == EventRejection.None;

    /// <summary>The stable code of <see cref="Rejection"/>, for DLQ headers and metric labels.</summary>
    public string Code => Rejection.Code();

    /// <summary>The same one-line reason as <see cref="EventParseResult.ToString"/>, e.g. <c>missing_field: userId</c>.</summary>
    public override string ToString() => Field == EventField.None ? Code : $"{Code}: {Field.JsonName()}";
}
