using System.Text;
using Confluent.Kafka;

namespace StreamingPipeline.Broker.Tests.Integration;

public class ProduceConsumeTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData(CompressionType.None)]
    [InlineData(CompressionType.Gzip)]
    [InlineData(CompressionType.Snappy)]
    [InlineData(CompressionType.Lz4)]
    [InlineData(CompressionType.Zstd)]
    public async Task RecordsRoundTripWithKeysHeadersAndTimestamps(CompressionType compression)
    {
        await using var broker = await EmbeddedBroker.CreateBuilder().WithTopic("events", partitions: 3).StartAsync();
        using var producer = KafkaClients.Producer(broker.BootstrapServers, c => c.CompressionType = compression);
        var sent = new List<DeliveryResult<string, string>>();
        var baseTime = new DateTime(2025, 11, 24, 12, 0, 0, DateTimeKind.Utc);
        for (var i = 0; i < 300; i++)
        {
            var message = new Message<string, string>
            {
                Key = $"user-{i % 17}",
                Value = $"value-{i}-" + new string('x', i % 50),
                Timestamp = new Timestamp(baseTime.AddSeconds(i)),
                Headers = new Headers { { "seq", Encoding.UTF8.GetBytes(i.ToString(System.Globalization.CultureInfo.InvariantCulture)) } },
            };
            sent.Add(await producer.ProduceAsync("events", message));
        }
        Assert.All(sent, d => Assert.Equal(PersistenceStatus.Persisted, d.Status));

        using var consumer = KafkaClients.Consumer(broker.BootstrapServers, "round-trip");
        consumer.Subscribe("events");
        var received = KafkaClients.ConsumeExactly(consumer, sent.Count, Timeout);

        Assert.Equal(sent.Count, received.Count);
        var byValue = received.ToDictionary(r => r.Message.Value);
        foreach (var d in sent)
        {
            var r = byValue[d.Message.Value];
            Assert.Equal(d.Message.Key, r.Message.Key);
            Assert.Equal(d.TopicPartitionOffset, r.TopicPartitionOffset);
            Assert.Equal(d.Message.Timestamp.UnixTimestampMs, r.Message.Timestamp.UnixTimestampMs);
            Assert.Equal(d.Message.Headers[0].GetValueBytes(), r.Message.Headers.GetLastBytes("seq"));
        }
        // Same key, same partition; offsets within a partition are dense and start at 0.
        Assert.All(received.GroupBy(r => r.Message.Key), g => Assert.Single(g.Select(r => r.Partition.Value).Distinct()));
        foreach (var partition in received.GroupBy(r => r.Partition.Value))
        {
            Assert.Equal(Enumerable.Range(0, partition.Count()).Select(i => (long)i), partition.Select(r => r.Offset.Value).Order());
        }
    }

    [Fact]
    public async Task ConsumerWaitingAtTheEndReceivesNewRecordsPromptly()
    {
        await using var broker = await EmbeddedBroker.CreateBuilder().WithTopic("live").StartAsync();
        using var consumer = KafkaClients.Consumer(broker.BootstrapServers, "live-group", c => c.FetchWaitMaxMs = 5000);
        consumer.Assign(new TopicPartitionOffset("live", 0, Offset.Beginning));
        Assert.Null(consumer.Consume(TimeSpan.FromMilliseconds(500)));

        using var producer = KafkaClients.Producer(broker.BootstrapServers);
        var consumed = Task.Run(() => consumer.Consume(TimeSpan.FromSeconds(20)));
        var started = DateTime.UtcNow;
        await producer.ProduceAsync("live", new Message<string, string> { Key = "k", Value = "now" });
        var result = await consumed;

        Assert.NotNull(result);
        Assert.Equal("now", result.Message.Value);
        // The fetch long-poll waits up to 5 s; being woken by the append must be much faster than that.
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(3), $"took {DateTime.UtcNow - started}");
    }

    [Fact]
    public async Task ProducingToAnUnknownTopicFailsWhenAutoCreationIsOff()
    {
        await using var broker = await EmbeddedBroker.CreateBuilder().WithOptions(o => o with { AutoCreateTopics = false }).StartAsync();
        using var producer = KafkaClients.Producer(broker.BootstrapServers, c => c.MessageTimeoutMs = 3000);
        var ex = await Assert.ThrowsAsync<ProduceException<string, string>>(() =>
            producer.ProduceAsync("does-not-exist", new Message<string, string> { Key = "k", Value = "v" }));
        Assert.Contains(ex.Error.Code, new[] { ErrorCode.UnknownTopicOrPart, ErrorCode.Local_UnknownTopic, ErrorCode.Local_MsgTimedOut });
    }

    [Fact]
    public async Task MetadataRequestCreatesUnknownTopicsWithTheDefaultPartitionCount()
    {
        await using var broker = await EmbeddedBroker.CreateBuilder().WithOptions(o => o with { DefaultPartitions = 4 }).StartAsync();
        using var producer = KafkaClients.Producer(broker.BootstrapServers);
        var delivery = await producer.ProduceAsync("auto-created", new Message<string, string> { Key = "k", Value = "v" });

        Assert.Equal(PersistenceStatus.Persisted, delivery.Status);
        Assert.Equal(4, broker.State.Logs.GetTopic("auto-created")!.PartitionCount);
    }

    [Fact]
    public async Task ListOffsetsAnswersEarliestLatestAndByTimestamp()
    {
        await using var broker = await EmbeddedBroker.CreateBuilder().WithTopic("times").StartAsync();
        using var producer = KafkaClients.Producer(broker.BootstrapServers);
        var start = new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        for (var i = 0; i < 10; i++)
        {
            await producer.ProduceAsync(new TopicPartition("times", 0), new Message<string, string> { Key = "k", Value = $"{i}", Timestamp = new Timestamp(start.AddMinutes(i)) });
        }
        using var consumer = KafkaClients.Consumer(broker.BootstrapServers, "offsets");
        var watermarks = consumer.QueryWatermarkOffsets(new TopicPartition("times", 0), TimeSpan.FromSeconds(10));
        var byTime = consumer.OffsetsForTimes([new TopicPartitionTimestamp("times", 0, new Timestamp(start.AddMinutes(4).AddSeconds(30)))], TimeSpan.FromSeconds(10));

        Assert.Equal(0, watermarks.Low.Value);
        Assert.Equal(10, watermarks.High.Value);
        Assert.Equal(5, byTime.Single().Offset.Value);
    }

    [Fact]
    public async Task AdminClientCreatesDescribesAndDeletesTopics()
    {
        await using var broker = await EmbeddedBroker.CreateBuilder().StartAsync();
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.BootstrapServers }).Build();
        await admin.CreateTopicsAsync([new Confluent.Kafka.Admin.TopicSpecification { Name = "made", NumPartitions = 5, ReplicationFactor = 1, Configs = new() { ["retention.ms"] = "3600000" } }]);
        var duplicate = await Assert.ThrowsAsync<Confluent.Kafka.Admin.CreateTopicsException>(() =>
            admin.CreateTopicsAsync([new Confluent.Kafka.Admin.TopicSpecification { Name = "made", NumPartitions = 1, ReplicationFactor = 1 }]));
        var replicated = await Assert.ThrowsAsync<Confluent.Kafka.Admin.CreateTopicsException>(() =>
            admin.CreateTopicsAsync([new Confluent.Kafka.Admin.TopicSpecification { Name = "replicated", NumPartitions = 1, ReplicationFactor = 3 }]));
        var configs = await admin.DescribeConfigsAsync([new Confluent.Kafka.Admin.ConfigResource { Type = Confluent.Kafka.Admin.ResourceType.Topic, Name = "made" }]);
        var metadata = admin.GetMetadata("made", TimeSpan.FromSeconds(10));
        await admin.DeleteTopicsAsync(["made"]);

        Assert.Equal(ErrorCode.TopicAlreadyExists, duplicate.Results[0].Error.Code);
        Assert.Equal(ErrorCode.InvalidReplicationFactor, replicated.Results[0].Error.Code);
        Assert.Equal("3600000", configs[0].Entries["retention.ms"].Value);
        Assert.False(configs[0].Entries["retention.ms"].IsDefault);
        Assert.Equal(5, metadata.Topics.Single().Partitions.Count);
        Assert.Null(broker.State.Logs.GetTopic("made"));
    }
}
