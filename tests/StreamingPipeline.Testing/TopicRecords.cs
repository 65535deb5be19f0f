using System.Text;
using Confluent.Kafka;

namespace StreamingPipeline.Testing;

/// <summary>
/// Writes the records the inspection tests (the console's API, <c>pipeline consume</c> and <c>pipeline groups</c>) look
/// at: known partitions, keys, values, timestamps and headers, plain and in open, committed or aborted transactions.
/// </summary>
public static class TopicRecords
{
    /// <summary>The timestamp of the first record <see cref="WriteAsync"/> writes; each next one is a second later.</summary>
    public static readonly DateTimeOffset BaseTime = new(2026, 1, 2, 3, 4, 0, TimeSpan.Zero);

    /// <summary>Writes <paramref name="count"/> records to one partition, key k{i}, value v{i}, header source=test, one second apart from <see cref="BaseTime"/>.</summary>
    public static async Task WriteAsync(TestBroker broker, string topic, int partition, int count)
    {
        using var producer = KafkaClients.ByteProducer(broker.BootstrapServers);
        for (var i = 0; i < count; i++)
        {
            await producer.ProduceAsync(new TopicPartition(topic, partition), new Message<byte[], byte[]>
            {
                Key = Encoding.UTF8.GetBytes($"k{i}"),
                Value = Encoding.UTF8.GetBytes($"v{i}"),
                Timestamp = new Timestamp(BaseTime.AddSeconds(i).ToUnixTimeMilliseconds(), TimestampType.CreateTime),
                Headers = new Headers { { "source", Encoding.UTF8.GetBytes("test") } },
            });
        }
    }

    /// <summary>Writes each value as a plain (non-transactional) record to partition 0.</summary>
    public static async Task WritePlainAsync(TestBroker broker, string topic, params string[] values)
    {
        using var producer = broker.Producer();
        foreach (var value in values)
        {
            await producer.ProduceAsync(new TopicPartition(topic, 0), new Message<string, string> { Key = value, Value = value });
        }
    }

    /// <summary>A transactional producer that has begun a transaction and written <paramref name="values"/> to partition 0, flushed.</summary>
    public static IProducer<string, string> OpenTransaction(TestBroker broker, string transactionalId, string topic, params string[] values)
    {
        var producer = KafkaClients.TransactionalProducer(broker.BootstrapServers, transactionalId);
        producer.InitTransactions(TimeSpan.FromSeconds(30));
        producer.BeginTransaction();
        foreach (var value in values)
        {
            producer.Produce(new TopicPartition(topic, 0), new Message<string, string> { Key = value, Value = value });
        }
        producer.Flush(TimeSpan.FromSeconds(30));
        return producer;
    }

    /// <summary>UTF-8 text of a key or value ("" for null).</summary>
    public static string Text(byte[]? bytes) => bytes is null ? "" : Encoding.UTF8.GetString(bytes);
}
