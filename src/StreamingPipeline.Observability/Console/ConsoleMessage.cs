using StreamingPipeline.Observability.Inspection;

namespace StreamingPipeline.Observability.Console;

/// <summary>One record as the message browser shows it.</summary>
/// <param name="Partition">Its partition.</param>
/// <param name="Offset">Its offset.</param>
/// <param name="Timestamp">Its timestamp, Unix milliseconds.</param>
/// <param name="TimestampType">create, log-append or none.</param>
/// <param name="Key">Its key, or null.</param>
/// <param name="Value">Its value, or null (a tombstone).</param>
/// <param name="Headers">Its headers in order.</param>
internal sealed record ConsoleMessage(int Partition, long Offset, long Timestamp, string TimestampType, EncodedBytes? Key, EncodedBytes? Value, IReadOnlyList<ConsoleHeader> Headers)
{
    public static ConsoleMessage From(TopicMessage message) => new(message.Partition, message.Offset, message.TimestampUnixMs, message.TimestampType,
        EncodedBytes.From(message.Key), EncodedBytes.From(message.Value), [.. message.Headers.Select(h => new ConsoleHeader(h.Key, EncodedBytes.From(h.Value)))]);
}
