using Confluent.Kafka;

namespace StreamingPipeline.Events.Tests.Integration;

/// <summary>Reads a whole topic back from a broker, partition by partition, up to each high watermark.</summary>
internal static class BrokerTopicReader
{
    public static List<ConsumedRecord> ReadAll(string bootstrapServers, string topic, int partitions, TimeSpan timeout)
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = "events-tests-" + Guid.NewGuid().ToString("N"),
            EnableAutoCommit = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnablePartitionEof = true,
        };
        using var consumer = new ConsumerBuilder<byte[], byte[]>(config).Build();
        var records = new List<ConsumedRecord>();
        var deadline = DateTime.UtcNow + timeout;
        var targets = new Dictionary<int, long>();
        for (var p = 0; p < partitions; p++)
        {
            targets[p] = consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), timeout).High.Value;
        }
        consumer.Assign(targets.Where(t => t.Value > 0).Select(t => new TopicPartitionOffset(topic, t.Key, Offset.Beginning)));
        var remaining = targets.Where(t => t.Value > 0).ToDictionary(t => t.Key, t => t.Value);
        while (remaining.Count > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, $"reading {topic} timed out with {remaining.Count} partitions unfinished");
            var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (result is null || result.IsPartitionEOF)
            {
                continue;
            }
            records.Add(new ConsumedRecord(result.Partition.Value, result.Offset.Value, result.Message.Key, result.Message.Value,
                result.Message.Timestamp.UnixTimestampMs));
            if (result.Offset.Value + 1 >= remaining.GetValueOrDefault(result.Partition.Value, long.MaxValue))
            {
                remaining.Remove(result.Partition.Value);
            }
        }
        return records;
    }
}

internal sealed record ConsumedRecord(int Partition, long Offset, byte[] Key, byte[] Value, long Timestamp);
