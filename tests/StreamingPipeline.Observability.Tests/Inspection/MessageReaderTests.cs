using StreamingPipeline.Observability.Inspection;

namespace StreamingPipeline.Observability.Tests.Inspection;

/// <summary><see cref="MessageReader"/>: each start position and isolation level, against the embedded broker with real clients.</summary>
public sealed class MessageReaderTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task ReadsFromTheBeginningAnOffsetATimeAndTheNewest()
    {
        await using var broker = await TestBroker.StartAsync(b => b.WithTopic("events", 2));
        using var inspector = new KafkaInspector(new KafkaConnection(broker.BootstrapServers));
        await TopicRecords.WriteAsync(broker, "events", 0, 5);
        await TopicRecords.WriteAsync(broker, "events", 1, 3);
        var query = new MessageQuery("events") { MaxMessages = null, Timeout = Timeout };

        var all = await inspector.Messages.ReadToListAsync(query with { Start = MessageStart.Beginning });
        var fromOffset = await inspector.Messages.ReadToListAsync(query with { Start = MessageStart.Offset, Offset = 3, Partition = 0 });
        var fromTime = await inspector.Messages.ReadToListAsync(query with { Start = MessageStart.Timestamp, TimestampUnixMs = TopicRecords.BaseTime.AddSeconds(2).ToUnixTimeMilliseconds() });
        var newest = await inspector.Messages.ReadToListAsync(query with { Start = MessageStart.Newest, MaxMessages = 3 });
        var newestOfOne = await inspector.Messages.ReadToListAsync(query with { Start = MessageStart.Newest, MaxMessages = 2, Partition = 1 });
        var counted = await inspector.Messages.ReadToListAsync(query with { Start = MessageStart.Beginning, Partition = 0, MaxMessages = 2 });
        var filtered = await inspector.Messages.ReadToListAsync(query with { Start = MessageStart.Beginning, Filter = "V4" });

        Assert.Equal(8, all.Count);
        Assert.Equal(["0:0", "0:1", "0:2", "0:3", "0:4", "1:0", "1:1", "1:2"], all.Select(Position).Order());
        var first = all.Single(m => m is { Partition: 0, Offset: 0 });
        Assert.Equal(("events", "k0", "v0", TopicRecords.BaseTime.ToUnixTimeMilliseconds(), "create"), (first.Topic, TopicRecords.Text(first.Key), TopicRecords.Text(first.Value), first.TimestampUnixMs, first.TimestampType));
        Assert.Equal("source=test", Assert.Single(first.Headers) is var h ? $"{h.Key}={TopicRecords.Text(h.Value)}" : "");
        Assert.Equal(["0:3", "0:4"], fromOffset.Select(Position));
        Assert.Equal(["0:2", "0:3", "0:4", "1:2"], fromTime.Select(Position).Order());
        // The newest three by timestamp: partition 0's 4 s and 3 s records, then the tie at 2 s goes to the higher partition.
        Assert.Equal(["1:2", "0:3", "0:4"], newest.Select(Position));
        Assert.Equal(["1:1", "1:2"], newestOfOne.Select(Position));
        Assert.Equal(["0:0", "0:1"], counted.Select(Position));
        Assert.Equal(["0:4"], filtered.Select(Position));
        Assert.Empty(await inspector.Groups.ListAsync()); // reads assign partitions; no group is ever joined
    }

    [Fact]
    public async Task ReadCommittedLeavesOutAbortedAndOpenTransactionsWhileReadUncommittedShowsThem()
    {
        await using var broker = await TestBroker.StartAsync(b => b.WithTopic("payments", 1));
        using var inspector = new KafkaInspector(new KafkaConnection(broker.BootstrapServers));
        await TopicRecords.WritePlainAsync(broker, "payments", "a");
        using (var aborted = TopicRecords.OpenTransaction(broker, "payments-aborted", "payments", "b", "c"))
        {
            aborted.AbortTransaction(TimeSpan.FromSeconds(30));
        }
        await TopicRecords.WritePlainAsync(broker, "payments", "d");
        using var open = TopicRecords.OpenTransaction(broker, "payments-open", "payments", "e");
        var query = new MessageQuery("payments") { Start = MessageStart.Beginning, MaxMessages = null, Timeout = Timeout };

        var committed = await inspector.Messages.ReadToListAsync(query with { Isolation = ReadIsolation.ReadCommitted });
        var uncommitted = await inspector.Messages.ReadToListAsync(query with { Isolation = ReadIsolation.ReadUncommitted });
        var newestCommitted = await inspector.Messages.ReadToListAsync(query with { Start = MessageStart.Newest, MaxMessages = 2 });

        Assert.Equal(["a", "d"], committed.Select(m => TopicRecords.Text(m.Value)));
        Assert.Equal(["a", "b", "c", "d", "e"], uncommitted.Select(m => TopicRecords.Text(m.Value)));
        Assert.Equal(["d"], newestCommitted.Select(m => TopicRecords.Text(m.Value)));
    }

    [Fact]
    public async Task FollowingFromTheEndWaitsForNewRecords()
    {
        await using var broker = await TestBroker.StartAsync(b => b.WithTopic("clicks", 1));
        using var inspector = new KafkaInspector(new KafkaConnection(broker.BootstrapServers));
        await TopicRecords.WritePlainAsync(broker, "clicks", "old");
        using var stop = new CancellationTokenSource(Timeout);

        var reading = inspector.Messages.ReadToListAsync(new MessageQuery("clicks") { Start = MessageStart.End, Follow = true, MaxMessages = 1 }, stop.Token);
        // The read starts at the end it finds, so "new" is written until the read has seen one written after it started.
        var deadline = DateTime.UtcNow + Timeout;
        while (!reading.IsCompleted && DateTime.UtcNow < deadline)
        {
            await TopicRecords.WritePlainAsync(broker, "clicks", "new");
            await Task.WhenAny(reading, Task.Delay(500));
        }

        Assert.Equal("new", TopicRecords.Text((await reading)[0].Value));
    }

    [Fact]
    public async Task ReadingAMissingTopicOrPartitionFailsAndCreatesNothing()
    {
        await using var broker = await TestBroker.StartAsync(b => b.WithTopic("clicks", 1).WithOptions(o => o with { AutoCreateTopics = true }));
        using var inspector = new KafkaInspector(new KafkaConnection(broker.BootstrapServers));

        var missing = await Assert.ThrowsAsync<TopicNotFoundException>(() => inspector.Messages.ReadToListAsync(new MessageQuery("typo-topic")));
        var noPartition = await Assert.ThrowsAsync<TopicNotFoundException>(() => inspector.Messages.ReadToListAsync(new MessageQuery("clicks") { Partition = 3 }));

        Assert.Equal("topic typo-topic does not exist.", missing.Message);
        Assert.Equal("topic clicks has no partition 3 (it has 1).", noPartition.Message);
        Assert.DoesNotContain(await inspector.Topics.ListAsync(includeInternal: true), t => t.Name == "typo-topic");
        Assert.Single((await inspector.Topics.DescribeAsync("clicks")).Partitions);
    }

    private static string Position(TopicMessage message) => $"{message.Partition}:{message.Offset}";
}
