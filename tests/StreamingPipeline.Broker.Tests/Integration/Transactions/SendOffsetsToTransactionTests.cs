using Confluent.Kafka;

namespace StreamingPipeline.Broker.Tests.Integration.Transactions;

/// <summary>Consume-transform-produce: consumed offsets committed in the producer's transaction, visible only when it commits.</summary>
public class SendOffsetsToTransactionTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task OffsetsSentToAnAbortedTransactionAreDiscardedAndToACommittedOneBecomeTheGroupsOffsets()
    {
        await using var broker = await EmbeddedBroker.CreateBuilder().WithTopic("input").WithTopic("output").StartAsync();
        Seed(broker, "input", 20);
        using var consumer = GroupConsumer(broker, "copier");
        using var producer = KafkaClients.TransactionalProducer(broker.BootstrapServers, "copier-tx");
        producer.InitTransactions(Timeout);
        consumer.Subscribe("input");

        // First attempt: copy ten records, then abort. Aborting does not rewind the consumer: seek back by hand.
        CopyInTransaction(consumer, producer, 10, commit: false);
        var afterAbort = consumer.Committed([new TopicPartition("input", 0)], Timeout).Single();
        Assert.Equal(Offset.Unset, afterAbort.Offset);
        consumer.Seek(new TopicPartitionOffset("input", 0, Offset.Beginning));

        // Second attempt: the same ten records, committed with their offsets.
        CopyInTransaction(consumer, producer, 10, commit: true);
        var afterCommit = consumer.Committed([new TopicPartition("input", 0)], Timeout).Single();

        Assert.Equal(10, afterCommit.Offset.Value);
        var output = KafkaClients.ReadAll(broker.BootstrapServers, "output", 1, IsolationLevel.ReadCommitted);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"copy-of-in-{i}"), output.Select(r => r.Message.Value));
    }

    [Fact]
    public async Task OffsetsSentWithTheMetadataOfAMemberThatLeftTheGroupAreRefused()
    {
        await using var broker = await EmbeddedBroker.CreateBuilder().WithTopic("zombie-input").WithTopic("zombie-output").StartAsync();
        Seed(broker, "zombie-input", 5);
        using var producer = KafkaClients.TransactionalProducer(broker.BootstrapServers, "zombie-copier-tx");
        producer.InitTransactions(Timeout);
        IConsumerGroupMetadata stale;
        using (var zombie = GroupConsumer(broker, "zombie-group"))
        {
            zombie.Subscribe("zombie-input");
            Assert.Equal(5, KafkaClients.ConsumeExactly(zombie, 5, Timeout).Count);
            stale = zombie.ConsumerGroupMetadata;
            zombie.Close();
        }

        producer.BeginTransaction();
        producer.Produce("zombie-output", new Message<string, string> { Key = "k", Value = "from-a-zombie" });
        var refused = Record.Exception(() =>
            producer.SendOffsetsToTransaction([new TopicPartitionOffset("zombie-input", 0, 5)], stale, Timeout));
        producer.AbortTransaction(Timeout);

        Assert.IsType<KafkaException>(refused, exactMatch: false);
        using var check = GroupConsumer(broker, "zombie-group");
        Assert.Equal(Offset.Unset, check.Committed([new TopicPartition("zombie-input", 0)], Timeout).Single().Offset);
        Assert.Empty(KafkaClients.ReadAll(broker.BootstrapServers, "zombie-output", 1, IsolationLevel.ReadCommitted));
    }

    private static void CopyInTransaction(IConsumer<string, string> consumer, IProducer<string, string> producer, int count, bool commit)
    {
        var consumed = KafkaClients.ConsumeExactly(consumer, count, Timeout);
        Assert.Equal(count, consumed.Count);
        producer.BeginTransaction();
        foreach (var record in consumed)
        {
            producer.Produce("output", new Message<string, string> { Key = record.Message.Key, Value = "copy-of-" + record.Message.Value });
        }
        var next = consumed.GroupBy(r => r.TopicPartition).Select(g => new TopicPartitionOffset(g.Key, g.Max(r => r.Offset.Value) + 1));
        producer.SendOffsetsToTransaction(next, consumer.ConsumerGroupMetadata, Timeout);
        if (commit)
        {
            producer.CommitTransaction(Timeout);
        }
        else
        {
            producer.Flush(Timeout);
            producer.AbortTransaction(Timeout);
        }
    }

    private static IConsumer<string, string> GroupConsumer(EmbeddedBroker broker, string groupId) =>
        KafkaClients.Consumer(broker.BootstrapServers, groupId, c => c.IsolationLevel = IsolationLevel.ReadCommitted);

    private static void Seed(EmbeddedBroker broker, string topic, int count)
    {
        using var producer = KafkaClients.Producer(broker.BootstrapServers);
        for (var i = 0; i < count; i++)
        {
            producer.Produce(topic, new Message<string, string> { Key = $"k{i}", Value = $"in-{i}" });
        }
        producer.Flush(Timeout);
    }
}
