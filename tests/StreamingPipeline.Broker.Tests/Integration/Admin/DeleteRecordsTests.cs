using Confluent.Kafka;
using Confluent.Kafka.Admin;
using StreamingPipeline.Broker.Tests.Integration.Transactions;
using StreamingPipeline.Protocol.Messages;
using ProtocolError = StreamingPipeline.Protocol.ErrorCode;

namespace StreamingPipeline.Broker.Tests.Integration.Admin;

/// <summary>DeleteRecords through the real admin client, and what consumers and ListOffsets see afterwards.</summary>
public class DeleteRecordsTests : IDisposable
{
    private readonly string _dataDirectory = Directory.CreateTempSubdirectory("broker-delete-records-").FullName;

    [Fact]
    public async Task TheLogStartMovesDurablyAndReadsBelowItAreOutOfRange()
    {
        await using (var broker = await EmbeddedBroker.CreateBuilder().WithDataDirectory(_dataDirectory)
            .WithTopic("purged", 1, new Dictionary<string, string> { ["segment.bytes"] = "2048" }).StartAsync())
        {
            await ProduceAsync(broker.BootstrapServers, "purged", 100);
            var log = broker.State.Logs.GetPartition("purged", 0)!;
            var segmentsBefore = log.SegmentCount;
            using var admin = KafkaClients.Admin(broker.BootstrapServers);

            var deleted = await admin.DeleteRecordsAsync([new TopicPartitionOffset("purged", 0, 60)]);
            var earliest = await EarliestAsync(admin, "purged");

            // A consumer that starts below the new start with auto.offset.reset=earliest is moved to it ...
            using var resetting = KafkaClients.Consumer(broker.BootstrapServers, "resetting");
            resetting.Assign(new TopicPartitionOffset("purged", 0, 10));
            var first = KafkaClients.ConsumeExactly(resetting, 1, TimeSpan.FromSeconds(30));

            // ... and one with auto.offset.reset=error is told its offset is out of range.
            using var strict = KafkaClients.Consumer(broker.BootstrapServers, "strict", c => c.AutoOffsetReset = AutoOffsetReset.Error);
            strict.Assign(new TopicPartitionOffset("purged", 0, 10));
            var outOfRange = Assert.Throws<ConsumeException>(() =>
            {
                var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
                while (DateTime.UtcNow < deadline)
                {
                    strict.Consume(TimeSpan.FromMilliseconds(200));
                }
            });

            Assert.Equal(60, deleted.Single().Offset.Value);
            Assert.Equal(60, earliest);
            Assert.Equal(60, first.Single().Offset.Value);
            Assert.Equal(ErrorCode.Local_AutoOffsetReset, outOfRange.Error.Code);
            Assert.True(segmentsBefore > log.SegmentCount, $"{segmentsBefore} segments before, {log.SegmentCount} after");
            Assert.True(log.SizeInBytes > 0);
        }

        await using var restarted = await EmbeddedBroker.CreateBuilder().WithDataDirectory(_dataDirectory).StartAsync();
        using var restartedAdmin = KafkaClients.Admin(restarted.BootstrapServers);
        var read = KafkaClients.ReadAll(restarted.BootstrapServers, "purged", 1, IsolationLevel.ReadUncommitted);
        Assert.Equal(60, await EarliestAsync(restartedAdmin, "purged"));
        Assert.Equal(Enumerable.Range(60, 40).Select(i => $"v{i}"), read.Select(r => r.Message.Value));
    }

    [Fact]
    public async Task MinusOneDeletesUpToTheHighWatermarkAndBeyondItIsOutOfRange()
    {
        await using var broker = await TestBroker.StartAsync(b => b.WithTopic("emptied", 2));
        await ProduceAsync(broker.BootstrapServers, "emptied", 10);
        using var admin = KafkaClients.Admin(broker.BootstrapServers);

        var beyond = await Assert.ThrowsAsync<DeleteRecordsException>(() => admin.DeleteRecordsAsync([new TopicPartitionOffset("emptied", 0, 11)]));
        var all = await admin.DeleteRecordsAsync([new TopicPartitionOffset("emptied", 0, Offset.End)]);
        using var producer = broker.Producer();
        var next = await producer.ProduceAsync(new TopicPartition("emptied", 0), new Message<string, string> { Key = "k", Value = "after" });
        var read = KafkaClients.ReadAll(broker.BootstrapServers, "emptied", 1, IsolationLevel.ReadUncommitted);

        Assert.Equal(ErrorCode.OffsetOutOfRange, beyond.Results.Single(r => r.Error.IsError).Error.Code);
        Assert.Equal(10, all.Single().Offset.Value);
        Assert.Equal(10, next.Offset.Value);
        Assert.Equal(["after"], read.Select(r => r.Message.Value));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public async Task AMissingTopicOrPartitionIsUnknownTopicOrPartitionAndNothingIsCreated(short version)
    {
        // librdkafka waits for a leader of a partition it cannot find rather than send the request, so this speaks the
        // protocol directly.
        await using var broker = await TestBroker.StartAsync(b => b.WithTopic("known", 1).WithOptions(o => o with { AutoCreateTopics = false }));
        await ProduceAsync(broker.BootstrapServers, "known", 5);
        using var client = await RawKafkaClient.ConnectAsync(broker.Broker.Port);

        var response = await client.SendAsync<DeleteRecordsRequest, DeleteRecordsResponse>(new DeleteRecordsRequest
        {
            TimeoutMs = 5_000,
            Topics =
            [
                new DeleteRecordsRequest.DeleteRecordsTopic { Name = "known", Partitions = [new() { PartitionIndex = 0, Offset = 2 }, new() { PartitionIndex = 1, Offset = 2 }] },
                new DeleteRecordsRequest.DeleteRecordsTopic { Name = "mistyped", Partitions = [new() { PartitionIndex = 0, Offset = 2 }] },
            ],
        }, version);

        var results = response.Topics.SelectMany(t => t.Partitions.Select(p => ((t.Name, p.PartitionIndex), ((ProtocolError)p.ErrorCode, p.LowWatermark)))).ToDictionary();
        Assert.Equal(3, results.Count);
        Assert.Equal((ProtocolError.None, 2L), results[("known", 0)]);
        Assert.Equal((ProtocolError.UnknownTopicOrPartition, -1L), results[("known", 1)]);
        Assert.Equal((ProtocolError.UnknownTopicOrPartition, -1L), results[("mistyped", 0)]);
        Assert.Null(broker.Broker.State.Logs.GetTopic("mistyped"));
        Assert.Equal(2, broker.Broker.State.Logs.GetPartition("known", 0)!.LogStartOffset);
    }

    public void Dispose() => Directory.Delete(_dataDirectory, recursive: true);

    private static async Task ProduceAsync(string bootstrap, string topic, int count)
    {
        using var producer = KafkaClients.Producer(bootstrap, c => c.LingerMs = 0);
        for (var i = 0; i < count; i++)
        {
            await producer.ProduceAsync(new TopicPartition(topic, 0), new Message<string, string> { Key = $"k{i}", Value = $"v{i}" });
        }
    }

    private static async Task<long> EarliestAsync(IAdminClient admin, string topic)
    {
        var result = await admin.ListOffsetsAsync([new TopicPartitionOffsetSpec { TopicPartition = new TopicPartition(topic, 0), OffsetSpec = OffsetSpec.Earliest() }]);
        return result.ResultInfos.Single().TopicPartitionOffsetError.Offset.Value;
    }
}
