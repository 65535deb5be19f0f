using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace StreamingPipeline.Broker.Tests.Integration.Admin;

/// <summary>DeleteGroups, OffsetDelete and DescribeCluster through the real admin client.</summary>
public class GroupAdminTests
{
    [Fact]
    public async Task AnEmptyGroupIsDeletedWithItsOffsetsAndAGroupWithMembersIsNot()
    {
        await using var broker = await TestBroker.StartAsync(b => b.WithTopic("events", 1));
        using var admin = KafkaClients.Admin(broker.BootstrapServers);
        using (var committer = broker.Consumer("finished"))
        {
            committer.Commit([new TopicPartitionOffset("events", 0, 4)]);
        }
        await ProduceAsync(broker, "events");
        using var member = broker.Consumer("busy");
        member.Subscribe("events");
        Assert.Single(KafkaClients.ConsumeExactly(member, 1, TimeSpan.FromSeconds(30)));

        await admin.DeleteGroupsAsync(["finished"]);
        var failures = await Assert.ThrowsAsync<DeleteGroupsException>(() => admin.DeleteGroupsAsync(["busy", "never-existed"]));
        using var reader = broker.Consumer("finished");
        var committed = reader.Committed([new TopicPartition("events", 0)], TimeSpan.FromSeconds(10));

        Assert.Equal(Offset.Unset, committed.Single().Offset);
        Assert.Equal(ErrorCode.NonEmptyGroup, failures.Results.Single(r => r.Group == "busy").Error.Code);
        Assert.Equal(ErrorCode.GroupIdNotFound, failures.Results.Single(r => r.Group == "never-existed").Error.Code);
    }

    [Fact]
    public async Task OffsetDeleteRemovesOffsetsExceptForTopicsTheMembersSubscribeTo()
    {
        await using var broker = await TestBroker.StartAsync(b => b.WithTopic("read", 1).WithTopic("other", 1));
        using var admin = KafkaClients.Admin(broker.BootstrapServers);
        using (var committer = broker.Consumer("standalone"))
        {
            committer.Commit([new TopicPartitionOffset("read", 0, 2), new TopicPartitionOffset("other", 0, 3)]);
        }
        await ProduceAsync(broker, "read");
        using var member = broker.Consumer("subscribed");
        member.Subscribe("read");
        var consumed = KafkaClients.ConsumeExactly(member, 1, TimeSpan.FromSeconds(30));
        member.Commit([new TopicPartitionOffset("read", 0, 1), new TopicPartitionOffset("other", 0, 1)]);

        var deleted = await admin.DeleteConsumerGroupOffsetsAsync("standalone", [new TopicPartition("read", 0)]);
        var refused = await Assert.ThrowsAnyAsync<KafkaException>(() =>
            admin.DeleteConsumerGroupOffsetsAsync("subscribed", [new TopicPartition("read", 0), new TopicPartition("other", 0)]));
        var memberOffsets = member.Committed([new TopicPartition("read", 0), new TopicPartition("other", 0)], TimeSpan.FromSeconds(10));
        var unknownGroup = await Assert.ThrowsAnyAsync<KafkaException>(() =>
            admin.DeleteConsumerGroupOffsetsAsync("never-existed", [new TopicPartition("read", 0)]));
        using var reader = broker.Consumer("standalone");
        var standaloneOffsets = reader.Committed([new TopicPartition("read", 0), new TopicPartition("other", 0)], TimeSpan.FromSeconds(10));

        Assert.Single(consumed);
        Assert.Equal("standalone", deleted.Group);
        Assert.Equal(Offset.Unset, standaloneOffsets.Single(o => o.Topic == "read").Offset);
        Assert.Equal(3, standaloneOffsets.Single(o => o.Topic == "other").Offset.Value);
        // librdkafka reports a partial failure; the unsubscribed topic's offset is deleted, the subscribed one's kept.
        Assert.Contains(refused.Error.Code, new[] { ErrorCode.Local_Partial, ErrorCode.GroupSubscribedToTopic });
        if (refused is DeleteConsumerGroupOffsetsException partial)
        {
            var partitions = partial.Result.Partitions.ToDictionary(p => p.Topic, p => p.Error.Code);
            Assert.Equal((ErrorCode.GroupSubscribedToTopic, ErrorCode.NoError), (partitions["read"], partitions["other"]));
        }
        Assert.Equal(1, memberOffsets.Single(o => o.Topic == "read").Offset.Value);
        Assert.Equal(Offset.Unset, memberOffsets.Single(o => o.Topic == "other").Offset);
        Assert.Equal(ErrorCode.GroupIdNotFound, unknownGroup.Error.Code);
    }

    [Fact]
    public async Task DescribeClusterNamesThisBrokerAsTheOnlyBrokerAndTheController()
    {
        await using var broker = await TestBroker.StartAsync();
        using var admin = KafkaClients.Admin(broker.BootstrapServers);

        var cluster = await admin.DescribeClusterAsync();

        Assert.Equal(broker.Broker.State.ClusterId, cluster.ClusterId);
        Assert.Equal(1, cluster.Controller.Id);
        var node = Assert.Single(cluster.Nodes);
        Assert.Equal((1, broker.Broker.Port), (node.Id, node.Port));
    }

    private static async Task ProduceAsync(TestBroker broker, string topic)
    {
        using var producer = broker.Producer();
        await producer.ProduceAsync(topic, new Message<string, string> { Key = "k", Value = "v" });
    }
}
