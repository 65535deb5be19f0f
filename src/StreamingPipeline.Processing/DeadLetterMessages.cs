using System.Globalization;
using System.Text;
using Confluent.Kafka;

namespace StreamingPipeline.Processing;

/// <summary>Builds a dead-letter record: the source record's key, value, timestamp and headers, plus the <see cref="DeadLetterHeaders"/>.</summary>
internal static class DeadLetterMessages
{
    /// <summary>The DLQ record for <paramref name="record"/>, rejected for <paramref name="code"/> (<paramref name="detail"/> says more).</summary>
    public static Message<byte[], byte[]> Create(InputRecord record, string code, string detail)
    {
        var headers = new Headers();
        foreach (var header in record.Headers ?? [])
        {
            headers.Add(header.Key, header.GetValueBytes());
        }
        headers.Add(DeadLetterHeaders.Code, Encoding.UTF8.GetBytes(code));
        headers.Add(DeadLetterHeaders.Detail, Encoding.UTF8.GetBytes(detail));
        headers.Add(DeadLetterHeaders.SourceTopic, Encoding.UTF8.GetBytes(record.Topic));
        headers.Add(DeadLetterHeaders.SourcePartition, Encoding.UTF8.GetBytes(record.Partition.ToString(CultureInfo.InvariantCulture)));
        headers.Add(DeadLetterHeaders.SourceOffset, Encoding.UTF8.GetBytes(record.Offset.ToString(CultureInfo.InvariantCulture)));
        headers.Add(DeadLetterHeaders.Time, Encoding.UTF8.GetBytes(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)));
        return new Message<byte[], byte[]>
        {
            Key = record.Key!,
            Value = record.Value!,
            Timestamp = new Timestamp(record.Timestamp, TimestampType.CreateTime),
            Headers = headers,
        };
    }
}
