using System.Text;
using Confluent.Kafka;
using StreamingPipeline.Broker.Log;
using TopicPartition = Confluent.Kafka.TopicPartition;

namespace StreamingPipeline.Broker.Tests.Integration.Admin;

/// <summary>A topic's compression.type other than producer: batches in another codec are stored recompressed and read back unchanged.</summary>
public class RecompressionTests
{
    [Theory]
    [InlineData(CompressionType.Lz4, "gzip", RecordCodec.Gzip)]
    [InlineData(CompressionType.Gzip, "snappy", RecordCodec.Snappy)]
    [InlineData(CompressionType.Zstd, "lz4", RecordCodec.Lz4)]
    [InlineData(CompressionType.Snappy, "zstd", RecordCodec.Zstd)]
    [InlineData(CompressionType.Zstd, "uncompressed", RecordCodec.None)]
    [InlineData(CompressionType.None, "lz4", RecordCodec.Lz4)]
    public async Task BatchesInAnotherCodecAreStoredInTheTopicsCodecAndReadBackUnchanged(CompressionType sent, string topicCodec, int storedCodec)
    {
        await using var broker = await TestBroker.StartAsync();
        await broker.CreateTopicAsync("recompressed", 1, new Dictionary<string, string> { ["compression.type"] = topicCodec });
        var sentRecords = Enumerable.Range(0, 300).Select(i => new Message<string, string>
        {
            Key = $"key-{i % 17}",
            Value = $"value {i} " + new string((char)('a' + (i % 26)), i % 50),
            Timestamp = new Timestamp(1_700_000_000_000 + i, TimestampType.CreateTime),
            Headers = [new Header("h", Encoding.UTF8.GetBytes($"header-{i}"))],
        }).ToList();
        using (var producer = broker.Producer(c =>
        {
            c.CompressionType = sent;
            c.EnableIdempotence = true;
            c.LingerMs = 20;
        }))
        {
            foreach (var message in sentRecords)
            {
                producer.Produce(new TopicPartition("recompressed", 0), message);
            }
            Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(30)));
        }

        var read = KafkaClients.ReadAll(broker.BootstrapServers, "recompressed", 1, IsolationLevel.ReadUncommitted);
        var codecs = broker.Broker.State.Logs.GetPartition("recompressed", 0)!.ReadBatches(0)
            .Select(b => new RecordBatchHeader(b.Batch.Span).CompressionType).Distinct().ToList();

        Assert.Equal([storedCodec], codecs);
        Assert.Equal(sentRecords.Select(m => (m.Key, m.Value, m.Timestamp.UnixTimestampMs)), read.Select(r => (r.Message.Key, r.Message.Value, r.Message.Timestamp.UnixTimestampMs)));
        Assert.Equal(sentRecords.Select(m => Encoding.UTF8.GetString(m.Headers[0].GetValueBytes())), read.Select(r => Encoding.UTF8.GetString(r.Message.Headers[0].GetValueBytes())));
        Assert.Equal(Enumerable.Range(0, 300).Select(i => (long)i), read.Select(r => r.Offset.Value));
    }

    [Fact]
    public async Task AlteringTheCodecAppliesToTheNextBatch()
    {
        await using var broker = await TestBroker.StartAsync(b => b.WithTopic("switched", 1));
        using var admin = KafkaClients.Admin(broker.BootstrapServers);
        using var producer = broker.Producer(c => c.CompressionType = CompressionType.Gzip);
        // Large and repetitive, so the client really compresses it (it sends a batch raw when compression does not pay).
        var asSent = "as sent " + new string('x', 4000);
        await producer.ProduceAsync("switched", new Message<string, string> { Key = "k", Value = asSent });

        await admin.IncrementalAlterConfigsAsync(new Dictionary<Confluent.Kafka.Admin.ConfigResource, List<Confluent.Kafka.Admin.ConfigEntry>>
        {
            [new Confluent.Kafka.Admin.ConfigResource { Type = Confluent.Kafka.Admin.ResourceType.Topic, Name = "switched" }] =
                [new Confluent.Kafka.Admin.ConfigEntry { Name = "compression.type", Value = "zstd", IncrementalOperation = Confluent.Kafka.Admin.AlterConfigOpType.Set }],
        });
        await producer.ProduceAsync("switched", new Message<string, string> { Key = "k", Value = "recompressed" });
        var codecs = broker.Broker.State.Logs.GetPartition("switched", 0)!.ReadBatches(0)
            .Select(b => new RecordBatchHeader(b.Batch.Span).CompressionType).ToList();
        var read = KafkaClients.ReadAll(broker.BootstrapServers, "switched", 1, IsolationLevel.ReadUncommitted);

        Assert.Equal([RecordCodec.Gzip, RecordCodec.Zstd], codecs);
        Assert.Equal([asSent, "recompressed"], read.Select(r => r.Message.Value));
    }
}
