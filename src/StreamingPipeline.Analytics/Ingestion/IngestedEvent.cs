using StreamingPipeline.Events;

namespace StreamingPipeline.Analytics.Ingestion;

/// <summary>One valid event and where it was read from, as a row of <c>user_events</c>.</summary>
/// <param name="Event">The parsed event.</param>
/// <param name="Partition">The source partition (column <c>kafkaPartition</c>).</param>
/// <param name="Offset">The source offset (column <c>kafkaOffset</c>).</param>
public readonly record struct IngestedEvent(UserEvent Event, int Partition, long Offset)
{
    /// <summary>The Kafka record's timestamp (Unix ms), for the freshness metric; 0 when unknown.</summary>
    public long RecordTimestamp { get; init; }
}
