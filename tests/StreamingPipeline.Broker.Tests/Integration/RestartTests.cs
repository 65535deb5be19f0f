using Confluent.Kafka;

namespace StreamingPipeline.Broker.Tests.Integration;

public class RestartTests : IDisposable
{
    private readonly string _dataDirectory = Directory.CreateTempSubdirectory("broker-restart-").FullName;

    [Fact]
    public async Task RecordsAndTopicsSurviveARestartOnTheSameDataDirectory()
    {
        var values = Enumerable.Range(0, 500).Select(i => $"v{i}").ToList();
        Guid topicId;
        await using (var broker = await EmbeddedBroker.CreateBuilder().WithDataDirectory(_dataDirectory).WithTopic("durable", 2).StartAsync())
        {
            using var producer = KafkaClients.Producer(broker.BootstrapServers);
            foreach (var value in values)
            {
                producer.Produce("durable", new Message<string, string> { Key = value, Value = value });
            }
            producer.Flush(TimeSpan.FromSeconds(30));
            topicId = broker.State.Logs.GetTopic("durable")!.TopicId;
        }

        await using var restarted = await EmbeddedBroker.CreateBuilder().WithDataDirectory(_dataDirectory).StartAsync();
        using var consumer = KafkaClients.Consumer(restarted.BootstrapServers, "after-restart");
        consumer.Subscribe("durable");
        var received = KafkaClients.ConsumeExactly(consumer, values.Count, TimeSpan.FromSeconds(60));

        Assert.Equal(topicId, restarted.State.Logs.GetTopic("durable")!.TopicId);
        Assert.Equal(values.Order(StringComparer.Ordinal), received.Select(r => r.Message.Value).Order(StringComparer.Ordinal));

        using var producer2 = KafkaClients.Producer(restarted.BootstrapServers);
        var next = await producer2.ProduceAsync(new TopicPartition("durable", 0), new Message<string, string> { Key = "k", Value = "after" });
        Assert.Equal(received.Count(r => r.Partition.Value == 0), next.Offset.Value);
    }

    public void Dispose() => Directory.Delete(_dataDirectory, recursive: true);
}
