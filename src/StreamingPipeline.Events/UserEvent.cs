namespace StreamingPipeline.Events;

/// <summary>
/// One user event as DESIGN.md defines it. The Kafka key is <see cref="UserId"/> (UTF-8) and the record
/// timestamp is <see cref="Timestamp"/>.
/// </summary>
/// <param name="EventId">The event's identity; duplicates share it. Serialized as a lowercase UUID string.</param>
/// <param name="UserId">Who did it; also the record key, so one user's events stay on one partition.</param>
/// <param name="EventType">What they did.</param>
/// <param name="Page">Where (a path such as <c>/products/17</c>).</param>
/// <param name="SessionId">Groups one visit's events.</param>
/// <param name="Timestamp">Event time, epoch milliseconds.</param>
public readonly record struct UserEvent(
    Guid EventId,
    string UserId,
    EventType EventType,
    string Page,
    string SessionId,
    long Timestamp);
