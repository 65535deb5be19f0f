using Confluent.Kafka;
using StreamingPipeline.Broker.Transactions;

namespace StreamingPipeline.Broker.Tests.Integration.Transactions;

/// <summary>Zombie producers are fenced by a newer incarnation or by the transaction timeout, and none of their records become visible.</summary>
public class FencingAndTimeoutTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ANewIncarnationFencesTheOldOneWhoseRecordsNeverBecomeVisible()
    {
        await using var broker = await EmbeddedBroker.CreateBuilder().WithTopic("fenced", partitions: 2).StartAsync();
        using var zombie = KafkaClients.TransactionalProducer(broker.BootstrapServers, "copier-0");
        zombie.InitTransactions(Timeout);
        zombie.BeginTransaction();
        for (var i = 0; i < 5; i++)
        {
            zombie.Produce(new TopicPartition("fenced", 0), Message($"zombie-{i}"));
        }
        zombie.Flush(Timeout);

        using var successor = KafkaClients.TransactionalProducer(broker.BootstrapServers, "copier-0");
        successor.InitTransactions(Timeout);

        // The zombie's open transaction was aborted by the successor's InitProducerId; its next writes are refused.
        var partition = broker.State.Logs.GetPartition("fenced", 0)!;
        Assert.Equal(partition.HighWatermark, partition.LastStableOffset);
        Assert.Equal(1, broker.State.AbortedTransactions(partition)!.Count);
        var lateSend = Record.Exception(() =>
        {
            zombie.Produce(new TopicPartition("fenced", 1), Message("zombie-late"));
            zombie.Flush(Timeout);
            zombie.CommitTransaction(Timeout);
        });
        var fenced = Assert.IsType<KafkaException>(lateSend, exactMatch: false);
        Assert.True(
            fenced.Error.IsFatal || fenced.Error.Code is ErrorCode.Local_Fenced or ErrorCode.ProducerFenced or ErrorCode.InvalidProducerEpoch,
            $"expected a fencing error, got {fenced.Error.Code}: {fenced.Error.Reason}");

        successor.BeginTransaction();
        successor.Produce(new TopicPartition("fenced", 0), Message("successor-0"));
        successor.Produce(new TopicPartition("fenced", 1), Message("successor-1"));
        successor.CommitTransaction(Timeout);

        var committed = KafkaClients.ReadAll(broker.BootstrapServers, "fenced", 2, IsolationLevel.ReadCommitted);
        var everything = KafkaClients.ReadAll(broker.BootstrapServers, "fenced", 2, IsolationLevel.ReadUncommitted);
        Assert.Equal(["successor-0", "successor-1"], committed.Select(r => r.Message.Value));
        Assert.Equal(5, everything.Count(r => r.Message.Value.StartsWith("zombie-", StringComparison.Ordinal)));
        Assert.DoesNotContain(everything, r => r.Message.Value == "zombie-late");
    }

    [Fact]
    public async Task AnAbandonedTransactionIsAbortedAfterItsTimeoutAndUnblocksReadCommittedConsumers()
    {
        await using var broker = await EmbeddedBroker.CreateBuilder().WithTopic("abandoned").StartAsync();
        using var abandoned = KafkaClients.TransactionalProducer(broker.BootstrapServers, "abandoned-tx", c =>
        {
            c.TransactionTimeoutMs = 2000;
            c.MessageTimeoutMs = 2000;
        });
        using var plain = KafkaClients.Producer(broker.BootstrapServers);
        using var reader = KafkaClients.Reader(broker.BootstrapServers, IsolationLevel.ReadCommitted, c => c.EnablePartitionEof = false);
        reader.Assign(new TopicPartitionOffset("abandoned", 0, Offset.Beginning));
        abandoned.InitTransactions(Timeout);
        abandoned.BeginTransaction();
        for (var i = 0; i < 3; i++)
        {
            abandoned.Produce(new TopicPartition("abandoned", 0), Message($"abandoned-{i}"));
        }
        abandoned.Flush(Timeout);
        var began = DateTime.UtcNow;
        await plain.ProduceAsync(new TopicPartition("abandoned", 0), Message("after"));
        var log = broker.State.Logs.GetPartition("abandoned", 0)!;
        Assert.Equal(0, log.LastStableOffset);

        // The producer goes quiet; only the coordinator's timeout can end its transaction.
        var delivered = KafkaClients.ConsumeExactly(reader, 1, Timeout);
        var waited = DateTime.UtcNow - began;

        Assert.Equal(["after"], delivered.Select(r => r.Message.Value));
        Assert.True(waited >= TimeSpan.FromSeconds(1.5), $"the reader was unblocked after {waited}, before the timeout");
        Assert.Equal(TransactionState.CompleteAbort, broker.State.Transactions.GetTransaction("abandoned-tx")!.State);
        Assert.Equal(log.HighWatermark, log.LastStableOffset);
        var late = Record.Exception(() => abandoned.CommitTransaction(Timeout));
        Assert.IsType<KafkaException>(late, exactMatch: false);
        Assert.Equal(["after"], KafkaClients.ReadAll(broker.BootstrapServers, "abandoned", 1, IsolationLevel.ReadCommitted).Select(r => r.Message.Value));
    }

    private static Message<string, string> Message(string value) => new() { Key = value, Value = value };
}
