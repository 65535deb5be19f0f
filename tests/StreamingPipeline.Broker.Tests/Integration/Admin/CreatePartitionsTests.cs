using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace StreamingPipeline.Broker.Tests.Integration.Admin;

/// <summary>CreatePartitions through the real admin client: growth, use of the new partitions, errors, restart.</summary>
public class CreatePartitionsTests : IDisposable
{
    private readonly string _dataDirectory = Directory.CreateTempSubdirectory("broker-partitions-").FullName;

    [Fact]
    public async Task NewPartitionsAreInMetadataAndServeProduceAndConsumeAndSurviveARestart()
    {
        await using (var broker = await EmbeddedBroker.CreateBuilder().WithDataDirectory(_dataDirectory).WithTopic("growing", 2).StartAsync())
        {
            using var admin = KafkaClients.Admin(broker.BootstrapServers);
            await admin.CreatePartitionsAsync([new PartitionsSpecification { Topic = "growing", IncreaseTo = 5 }]);
            var metadata = admin.GetMetadata("growing", TimeSpan.FromSeconds(10));

            using var producer = KafkaClients.Producer(broker.BootstrapServers);
            for (var p = 0; p < 5; p++)
            {
                var delivered = await producer.ProduceAsync(new TopicPartition("growing", p), new Message<string, string> { Key = $"k{p}", Value = $"p{p}" });
                Assert.Equal(0, delivered.Offset.Value);
            }
            var read = KafkaClients.ReadAll(broker.BootstrapServers, "growing", 5, IsolationLevel.ReadUncommitted);

            Assert.Equal(5, metadata.Topics.Single().Partitions.Count);
            Assert.Equal(["p0", "p1", "p2", "p3", "p4"], read.Select(r => r.Message.Value));
        }

        await using var restarted = await EmbeddedBroker.CreateBuilder().WithDataDirectory(_dataDirectory).StartAsync();
        var afterRestart = KafkaClients.ReadAll(restarted.BootstrapServers, "growing", 5, IsolationLevel.ReadUncommitted);
        Assert.Equal(5, restarted.State.Logs.GetTopic("growing")!.PartitionCount);
        Assert.Equal(["p0", "p1", "p2", "p3", "p4"], afterRestart.Select(r => r.Message.Value));
    }

    [Fact]
    public async Task ShrinkingKeepingTheCountAnUnknownTopicAndValidateOnlyAreRefusedOrChangeNothing()
    {
        await using var broker = await TestBroker.StartAsync(b => b.WithTopic("fixed", 3));
        using var admin = KafkaClients.Admin(broker.BootstrapServers);

        var shrink = await FailureAsync(admin, "fixed", 2);
        var same = await FailureAsync(admin, "fixed", 3);
        var unknown = await FailureAsync(admin, "missing", 4);
        await admin.CreatePartitionsAsync([new PartitionsSpecification { Topic = "fixed", IncreaseTo = 6 }], new CreatePartitionsOptions { ValidateOnly = true });

        Assert.Equal(ErrorCode.InvalidPartitions, shrink.Error.Code);
        Assert.Contains("higher than the requested 2", shrink.Error.Reason, StringComparison.Ordinal);
        Assert.Equal(ErrorCode.InvalidPartitions, same.Error.Code);
        Assert.Equal(ErrorCode.UnknownTopicOrPart, unknown.Error.Code);
        Assert.Equal(3, broker.Broker.State.Logs.GetTopic("fixed")!.PartitionCount);
        Assert.Null(broker.Broker.State.Logs.GetPartition("fixed", 3));
    }

    public void Dispose() => Directory.Delete(_dataDirectory, recursive: true);

    private static async Task<CreatePartitionsReport> FailureAsync(IAdminClient admin, string topic, int count)
    {
        var failure = await Assert.ThrowsAsync<CreatePartitionsException>(() =>
            admin.CreatePartitionsAsync([new PartitionsSpecification { Topic = topic, IncreaseTo = count }]));
        return failure.Results.Single();
    }
}
