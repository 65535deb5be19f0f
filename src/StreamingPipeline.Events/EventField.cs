namespace StreamingPipeline.Events;

/// <summary>A field of the event's JSON form; names which field a rejection is about.</summary>
public enum EventField : byte
{
    None = 0,
    EventId,
    UserId,
    EventType,
    Page,
    SessionId,
    Timestamp,
}
