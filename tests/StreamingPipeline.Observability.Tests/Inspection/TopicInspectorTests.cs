using StreamingPipeline.Observability.Inspection;

namespace StreamingPipeline.Observability.Tests.Inspection;

/// <summary><see cref="TopicInspector"/> against the embedded broker with real clients.</summary>
public sealed class TopicInspectorTests
{
    [Fact]
    public async Task LastStableOffsetStopsAtTheOpenTransactionAndMovesOnWhenItCommits()
    {
        await using var broker = await TestBroker.StartAsync(b => b.WithTopic("orders", 2));
        using var inspector = new KafkaInspector(new KafkaConnection(broker.BootstrapServers));
        await TopicRecords.WritePlainAsync(broker, "orders", "a", "b", "c");
        using var transaction = TopicRecords.OpenTransaction(broker, "orders-tx", "orders", "d", "e");

        var open = await inspector.Topics.DescribeAsync("orders");
        transaction.CommitTransaction(TimeSpan.FromSeconds(30));
        var committed = await inspector.Topics.DescribeAsync("orders");

        Assert.Equal([new PartitionOffsets(0, 0, 5, 3), new PartitionOffsets(1, 0, 0, 0)], open.Partitions);
        Assert.Equal(new PartitionOffsets(0, 0, 6, 6), committed.Partitions[0]);
    }

    [Fact]
    public async Task ListShowsTopicsWithTheirPartitionsAndHidesInternalOnes()
    {
        await using var broker = await TestBroker.StartAsync(b => b.WithTopic("orders", 3).WithTopic("audit", 1));
        using var inspector = new KafkaInspector(new KafkaConnection(broker.BootstrapServers));

        var topics = await inspector.Topics.ListAsync();

        Assert.Equal([new TopicSummary("audit", 1, false), new TopicSummary("orders", 3, false)], topics);
    }

    [Fact]
    public async Task DescribingAMissingTopicFailsAndDoesNotCreateIt()
    {
        await using var broker = await TestBroker.StartAsync(b => b.WithOptions(o => o with { AutoCreateTopics = true }));
        using var inspector = new KafkaInspector(new KafkaConnection(broker.BootstrapServers));

        var error = await Assert.ThrowsAsync<TopicNotFoundException>(() => inspector.Topics.DescribeAsync("typo-topic"));

        Assert.Equal("topic typo-topic does not exist.", error.Message);
        Assert.DoesNotContain(await inspector.Topics.ListAsync(includeInternal: true), t => t.Name == "typo-topic");
    }
}
