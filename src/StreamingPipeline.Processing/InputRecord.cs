using Confluent.Kafka;

namespace StreamingPipeline.Processing;

/// <summary>One consumed input record, as the broker stored it.</summary>
public sealed class InputRecord
{
    /// <summary>The topic it was read from.</summary>
    public required string Topic { get; init; }

    /// <summary>Its partition.</summary>
    public required int Partition { get; init; }

    /// <summary>Its offset.</summary>
    public required long Offset { get; init; }

    /// <summary>The key bytes, untouched (null when absent).</summary>
    public byte[]? Key { get; init; }

    /// <summary>The value bytes, untouched (null when absent).</summary>
    public byte[]? Value { get; init; }

    /// <summary>The record timestamp, Unix milliseconds (the event time for the pipeline's producers).</summary>
    public required long Timestamp { get; init; }

    /// <summary>The record headers, if any.</summary>
    public Headers? Headers { get; init; }
}
