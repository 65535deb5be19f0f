using Confluent.Kafka;
using StreamingPipeline.Observability.Inspection;

namespace StreamingPipeline.Observability.Tests.Inspection;

/// <summary><see cref="ConsumerGroupInspector"/>: describe with lag, and reset-offsets in each mode and its refusal, against the embedded broker.</summary>
public sealed class ConsumerGroupInspectorTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task DescribeShowsMembersCommittedOffsetsAndLagAndResetIsRefusedWhileAMemberIsActive()
    {
        await using var broker = await TestBroker.StartAsync(b => b.WithTopic("orders", 2));
        using var inspector = new KafkaInspector(new KafkaConnection(broker.BootstrapServers));
        await TopicRecords.WriteAsync(broker, "orders", 0, 10);
        await TopicRecords.WriteAsync(broker, "orders", 1, 4);
        using var consumer = broker.Consumer("billing", c => c.ClientId = "billing-1");
        consumer.Subscribe("orders");
        Assert.Equal(14, KafkaClients.ConsumeExactly(consumer, 14, Timeout).Count);
        consumer.Commit([new TopicPartitionOffset("orders", 0, 6), new TopicPartitionOffset("orders", 1, 4)]);

        var described = await inspector.Groups.DescribeAsync("billing");
        var listed = await inspector.Groups.ListAsync();
        var refused = await Assert.ThrowsAsync<ActiveGroupException>(() =>
            inspector.Groups.ResetOffsetsAsync(new OffsetResetRequest("billing", "orders", OffsetResetTarget.Earliest), execute: true));

        Assert.Equal("Stable", described.State);
        var member = Assert.Single(described.Members);
        Assert.Equal("billing-1", member.ClientId);
        Assert.Equal([new GroupPartition("orders", 0), new GroupPartition("orders", 1)], member.Assignment);
        Assert.Equal(
            [new GroupPartitionLag("orders", 0, 6, 10, 10, 4, member.MemberId, "billing-1", member.Host), new GroupPartitionLag("orders", 1, 4, 4, 4, 0, member.MemberId, "billing-1", member.Host)],
            described.Partitions);
        Assert.Equal(4, described.TotalLag);
        Assert.Contains(listed, g => g is { GroupId: "billing", State: "Stable" });
        Assert.Equal("consumer group billing has 1 active member (state Stable); offsets can only be reset when it is empty: stop its consumers first.", refused.Message);
        Assert.Equal([6L, 4L], KafkaClients.CommittedOffsets(broker.BootstrapServers, "billing", "orders", 2, Timeout));
    }

    [Fact]
    public async Task ResetOffsetsMovesAnEmptyGroupToEachTargetAndADryRunChangesNothing()
    {
        await using var broker = await TestBroker.StartAsync(b => b.WithTopic("orders", 2));
        using var inspector = new KafkaInspector(new KafkaConnection(broker.BootstrapServers));
        await TopicRecords.WriteAsync(broker, "orders", 0, 10);
        await TopicRecords.WriteAsync(broker, "orders", 1, 4);
        using (var consumer = broker.Consumer("billing"))
        {
            consumer.Subscribe("orders");
            KafkaClients.ConsumeExactly(consumer, 14, Timeout);
            consumer.Commit([new TopicPartitionOffset("orders", 0, 6), new TopicPartitionOffset("orders", 1, 4)]);
            consumer.Close();
        }
        var groups = inspector.Groups;
        OffsetResetRequest To(OffsetResetTarget target) => new("billing", "orders", target);

        var dryRun = await groups.ResetOffsetsAsync(To(OffsetResetTarget.Earliest), execute: false);
        var afterDryRun = Committed(broker);
        var earliest = await groups.ResetOffsetsAsync(To(OffsetResetTarget.Earliest), execute: true);
        var afterEarliest = Committed(broker);
        var latest = await groups.ResetOffsetsAsync(To(OffsetResetTarget.Latest), execute: true);
        var afterLatest = Committed(broker);
        await groups.ResetOffsetsAsync(To(OffsetResetTarget.Offset) with { Offset = 7 }, execute: true);
        var afterOffset = Committed(broker);
        await groups.ResetOffsetsAsync(To(OffsetResetTarget.Timestamp) with { TimestampUnixMs = TopicRecords.BaseTime.AddSeconds(3).ToUnixTimeMilliseconds() }, execute: true);
        var afterTime = Committed(broker);
        await groups.ResetOffsetsAsync(To(OffsetResetTarget.Earliest) with { Partition = 1 }, execute: true);
        var afterOnePartition = Committed(broker);
        var described = await groups.DescribeAsync("billing");

        Assert.False(dryRun.Executed);
        Assert.Equal([new OffsetResetPartition("orders", 0, 6, 0), new OffsetResetPartition("orders", 1, 4, 0)], dryRun.Partitions);
        Assert.Equal([6L, 4L], afterDryRun);
        Assert.True(earliest.Executed);
        Assert.Equal([0L, 0L], afterEarliest);
        Assert.Equal([new OffsetResetPartition("orders", 0, 0, 10), new OffsetResetPartition("orders", 1, 0, 4)], latest.Partitions);
        Assert.Equal([10L, 4L], afterLatest);
        Assert.Equal([7L, 4L], afterOffset); // clamped to partition 1's end, as kafka-consumer-groups does
        Assert.Equal([3L, 3L], afterTime);
        Assert.Equal([3L, 0L], afterOnePartition);
        Assert.Equal(("Empty", 7 + 4), (described.State, described.TotalLag));
        Assert.Empty(described.Members);
    }

    [Fact]
    public async Task AnUnknownGroupIsNotFoundAndAMissingTopicIsNotCreatedByAReset()
    {
        await using var broker = await TestBroker.StartAsync(b => b.WithOptions(o => o with { AutoCreateTopics = true }));
        using var inspector = new KafkaInspector(new KafkaConnection(broker.BootstrapServers));

        var unknown = await Assert.ThrowsAsync<GroupNotFoundException>(() => inspector.Groups.DescribeAsync("nobody"));
        var missing = await Assert.ThrowsAsync<TopicNotFoundException>(() =>
            inspector.Groups.ResetOffsetsAsync(new OffsetResetRequest("nobody", "typo-topic", OffsetResetTarget.Latest), execute: true));

        Assert.Equal("consumer group nobody does not exist (no members, no committed offsets).", unknown.Message);
        Assert.Equal("topic typo-topic does not exist.", missing.Message);
        Assert.DoesNotContain(await inspector.Topics.ListAsync(includeInternal: true), t => t.Name == "typo-topic");
    }

    private static long[] Committed(TestBroker broker) => KafkaClients.CommittedOffsets(broker.BootstrapServers, "billing", "orders", 2, Timeout);
}
