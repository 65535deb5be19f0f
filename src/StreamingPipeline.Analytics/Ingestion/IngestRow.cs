using StreamingPipeline.Events;

namespace StreamingPipeline.Analytics.Ingestion;

/// <summary>
/// One valid event of an <see cref="IngestBatch"/> as a row of <c>user_events</c>: its fixed-size fields, and where its
/// strings are in the batch's UTF-8 arena (userId, page and sessionId, one after another from <see cref="TextStart"/>).
/// </summary>
public readonly struct IngestRow
{
    internal IngestRow(Guid eventId, EventType eventType, long timestamp, int textStart, int userIdLength, int pageLength, int sessionIdLength)
    {
        EventId = eventId;
        EventType = eventType;
        Timestamp = timestamp;
        TextStart = textStart;
        UserIdLength = userIdLength;
        PageLength = pageLength;
        SessionIdLength = sessionIdLength;
    }

    /// <summary>The event's id.</summary>
    public Guid EventId { get; }

    /// <summary>What the user did.</summary>
    public EventType EventType { get; }

    /// <summary>Event time, epoch milliseconds.</summary>
    public long Timestamp { get; }

    /// <summary>The source partition (column <c>kafkaPartition</c>).</summary>
    public int Partition { get; init; }

    /// <summary>The source offset (column <c>kafkaOffset</c>).</summary>
    public long Offset { get; init; }

    /// <summary>The Kafka record's timestamp (Unix ms), for the freshness metric; 0 when unknown.</summary>
    public long RecordTimestamp { get; init; }

    /// <summary>Where the row's strings start in the batch's arena.</summary>
    internal int TextStart { get; }

    internal int UserIdLength { get; }

    internal int PageLength { get; }

    internal int SessionIdLength { get; }
}
