namespace StreamingPipeline.Events.Generation;

/// <summary>
/// One record from <see cref="EventStreamGenerator"/>. <see cref="Value"/> points into the generator's buffer and
/// is valid only until the next call; <see cref="Key"/> is shared and must not be modified.
/// </summary>
public readonly ref struct GeneratedRecord
{
    /// <summary>What the record is.</summary>
    public required RecordKind Kind { get; init; }

    /// <summary>The record's position in the stream, from 0.</summary>
    public required long Sequence { get; init; }

    /// <summary>The key: the userId in UTF-8.</summary>
    public required byte[] Key { get; init; }

    /// <summary>The value bytes.</summary>
    public required ReadOnlySpan<byte> Value { get; init; }

    /// <summary>The record timestamp, epoch ms (a duplicate carries its original's).</summary>
    public required long Timestamp { get; init; }

    /// <summary>The partition Kafka's murmur2 partitioner puts the key in.</summary>
    public required int Partition { get; init; }

    /// <summary>The event (for <see cref="RecordKind.Event"/> and <see cref="RecordKind.Duplicate"/>).</summary>
    public UserEvent Event { get; init; }

    /// <summary>How the record is broken (for <see cref="RecordKind.Malformed"/>).</summary>
    public EventRejection MalformedReason { get; init; }

    /// <summary>Event time between the original and this re-send (for <see cref="RecordKind.Duplicate"/>).</summary>
    public long DuplicateDelayMs { get; init; }

    /// <summary>The class of <see cref="DuplicateDelayMs"/>.</summary>
    public DelayClass DelayClass { get; init; }

    /// <summary>True for an event that will be re-sent later.</summary>
    public bool DuplicateScheduled { get; init; }
}
