using System.Text;
using Confluent.Kafka;
using StreamingPipeline.Events;

namespace StreamingPipeline.Observability.Tests.Metrics;

/// <summary>
/// Input records whose dedup outcome is known per partition: unique events, re-sends of some of them (same key, bytes
/// and partition) and malformed records (not JSON).
/// </summary>
internal sealed class KnownWorkload
{
    private KnownWorkload(List<(int Partition, byte[] Key, byte[] Value, long Timestamp)> records, int[] unique, int[] duplicates, int[] malformed)
    {
        Records = records;
        Unique = unique;
        Duplicates = duplicates;
        Malformed = malformed;
    }

    public IReadOnlyList<(int Partition, byte[] Key, byte[] Value, long Timestamp)> Records { get; }

    /// <summary>Unique valid events per partition.</summary>
    public int[] Unique { get; }

    /// <summary>Re-sends per partition.</summary>
    public int[] Duplicates { get; }

    /// <summary>Malformed records per partition.</summary>
    public int[] Malformed { get; }

    public static KnownWorkload Create(int partitions, int uniqueEvents, int duplicates, int malformed)
    {
        var records = new List<(int, byte[], byte[], long)>();
        var unique = new int[partitions];
        var resent = new int[partitions];
        var bad = new int[partitions];
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var sent = new List<(int Partition, byte[] Key, byte[] Value, long Timestamp)>();
        for (var i = 0; i < uniqueEvents; i++)
        {
            var partition = i % partitions;
            var user = $"user-{i % 7}";
            var value = UserEventSerializer.Serialize(new UserEvent(Guid.NewGuid(), user, EventType.PageView, "/products/" + i, "s-" + (i % 5), now - 1000 + i));
            var record = (partition, Encoding.UTF8.GetBytes(user), value, now - 1000 + i);
            records.Add(record);
            sent.Add(record);
            unique[partition]++;
        }
        for (var i = 0; i < duplicates; i++)
        {
            var original = sent[(i * 3) % sent.Count];
            records.Add(original);
            resent[original.Partition]++;
        }
        for (var i = 0; i < malformed; i++)
        {
            var partition = i % partitions;
            records.Add((partition, Encoding.UTF8.GetBytes("user-bad"), Encoding.UTF8.GetBytes("this is not json " + i), now));
            bad[partition]++;
        }
        return new KnownWorkload(records, unique, resent, bad);
    }

    /// <summary>Produces the records to their partitions, in order, and waits for every acknowledgement.</summary>
    public void ProduceTo(string bootstrap, string topic)
    {
        using var producer = KafkaClients.ByteProducer(bootstrap);
        foreach (var (partition, key, value, timestamp) in Records)
        {
            producer.Produce(new TopicPartition(topic, partition), new Message<byte[], byte[]>
            {
                Key = key,
                Value = value,
                Timestamp = new Timestamp(timestamp, TimestampType.CreateTime),
            });
        }
        if (producer.Flush(TimeSpan.FromSeconds(60)) != 0)
        {
            throw new InvalidOperationException("records not acknowledged within 60 s");
        }
    }
}
