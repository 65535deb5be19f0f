namespace StreamingPipeline.Observability.Inspection;

/// <summary>One record as it is in the log: where it is, when, and its bytes.</summary>
/// <param name="Topic">The topic.</param>
/// <param name="Partition">The partition.</param>
/// <param name="Offset">The record's offset.</param>
/// <param name="TimestampUnixMs">The record's timestamp, milliseconds since the Unix epoch.</param>
/// <param name="TimestampType">create (set by the producer), log-append (set by the broker) or none.</param>
/// <param name="Key">The key bytes, or null.</param>
/// <param name="Value">The value bytes, or null (a tombstone).</param>
/// <param name="Headers">The headers in order.</param>
public sealed record TopicMessage(
    string Topic,
    int Partition,
    long Offset,
    long TimestampUnixMs,
    string TimestampType,
    byte[]? Key,
    byte[]? Value,
    IReadOnlyList<MessageHeader> Headers);
