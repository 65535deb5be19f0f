namespace StreamingPipeline.Events;

/// <summary>What <see cref="UserEventParser"/> made of a record: the event, or the reason and the field it is about.</summary>
public readonly struct EventParseResult
{
    private EventParseResult(UserEvent userEvent, EventRejection rejection, EventField field)
    {
        Event = userEvent;
        Rejection = rejection;
        Field = field;
    }

    /// <summary>The parsed event; default when <see cref="IsValid"/> is false.</summary>
    public UserEvent Event { get; }

    /// <summary>Why the record was rejected, or <see cref="EventRejection.None"/>.</summary>
    public EventRejection Rejection { get; }

    /// <summary>The field the rejection is about, or <see cref="EventField.None"/> for whole-record reasons.</summary>
    public EventField Field { get; }

    /// <summary>True when the record is a valid event.</summary>
    public bool IsValid => Rejection == EventRejection.None;

    /// <summary>The stable code of <see cref="Rejection"/>, for DLQ headers and metric labels.</summary>
    public string Code => Rejection.Code();

    /// <summary>A valid result.</summary>
    public static EventParseResult Valid(in UserEvent userEvent) => new(userEvent, EventRejection.None, EventField.None);

    /// <summary>A rejection.</summary>
    public static EventParseResult Rejected(EventRejection rejection, EventField field = EventField.None) =>
        new(default, rejection, field);

    /// <summary>A one-line human reason, e.g. <c>missing_field: userId</c>.</summary>
    public override string ToString() => Field == EventField.None ? Code : $"{Code}: {Field.JsonName()}";
}
