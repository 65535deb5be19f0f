using System.Globalization;
using System.Text;
using StreamingPipeline.Observability.Inspection;
using StreamingPipeline.Processing;

namespace StreamingPipeline.Observability.Console;

/// <summary>A DLQ record read through its <see cref="DeadLetterHeaders"/>: why, where it came from, and its original bytes.</summary>
/// <param name="Partition">The DLQ partition.</param>
/// <param name="Offset">The DLQ offset.</param>
/// <param name="Timestamp">The DLQ record's timestamp, Unix milliseconds.</param>
/// <param name="Reason">The rejection code (<c>not_json</c>, <c>exception</c>...), or null when the header is missing.</param>
/// <param name="Detail">The human-readable detail, or null.</param>
/// <param name="SourceTopic">The topic the record was read from, or null.</param>
/// <param name="SourcePartition">Its partition, or null.</param>
/// <param name="SourceOffset">Its offset, or null.</param>
/// <param name="DeadLetteredAt">When it was dead-lettered (wall clock, Unix milliseconds), or null.</param>
/// <param name="Key">The original key.</param>
/// <param name="Value">The original bytes.</param>
internal sealed record DeadLetterRecord(
    int Partition,
    long Offset,
    long Timestamp,
    string? Reason,
    string? Detail,
    string? SourceTopic,
    int? SourcePartition,
    long? SourceOffset,
    long? DeadLetteredAt,
    EncodedBytes? Key,
    EncodedBytes? Value)
{
    public static DeadLetterRecord From(TopicMessage message)
    {
        string? Header(string name) => message.Headers.LastOrDefault(h => h.Key == name)?.Value is { } bytes ? Encoding.UTF8.GetString(bytes) : null;
        long? Number(string name) => long.TryParse(Header(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null;
        return new DeadLetterRecord(message.Partition, message.Offset, message.TimestampUnixMs,
            Header(DeadLetterHeaders.Code), Header(DeadLetterHeaders.Detail), Header(DeadLetterHeaders.SourceTopic),
            Number(DeadLetterHeaders.SourcePartition) is { } p ? (int)p : null, Number(DeadLetterHeaders.SourceOffset), Number(DeadLetterHeaders.Time),
            EncodedBytes.From(message.Key), EncodedBytes.From(message.Value));
    }
}
