using StreamingPipeline.Events;

namespace StreamingPipeline.Benchmarks;

/// <summary>The event as a plain class, for System.Text.Json's source generator in the comparison benchmark.</summary>
public sealed class EventsJsonDto
{
    public Guid EventId { get; set; }

    public string? UserId { get; set; }

    public string? EventType { get; set; }

    public string? Page { get; set; }

    public string? SessionId { get; set; }

    public long Timestamp { get; set; }

    /// <summary>Copies <paramref name="e"/>.</summary>
    public static EventsJsonDto From(in UserEvent e) => new()
    {
        EventId = e.EventId,
        UserId = e.UserId,
        EventType = EventTypes.Name(e.EventType),
        Page = e.Page,
        SessionId = e.SessionId,
        Timestamp = e.Timestamp,
    };
}
