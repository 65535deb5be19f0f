using Confluent.Kafka;
using StreamingPipeline.Broker.Tests.Integration.Transactions;
using StreamingPipeline.Protocol.Messages;
using ProtocolError = StreamingPipeline.Protocol.ErrorCode;

namespace StreamingPipeline.Broker.Tests.Integration.Admin;

/// <summary>
/// ListTransactions, DescribeTransactions, DescribeProducers and DescribeLogDirs, which the .NET admin client does not
/// offer, over the wire as kafka-transactions and kafka-log-dirs send them, while a real producer holds a transaction open.
/// </summary>
public class TransactionToolingTests
{
    [Fact]
    public async Task AnOpenTransactionIsListedDescribedAndItsProducerShown()
    {
        await using var broker = await TestBroker.StartAsync(b => b.WithTopic("pending", 2));
        using var producer = KafkaClients.TransactionalProducer(broker.BootstrapServers, "hanging-txn");
        producer.InitTransactions(TimeSpan.FromSeconds(30));
        producer.BeginTransaction();
        var delivered = await producer.ProduceAsync(new TopicPartition("pending", 1), new Message<string, string> { Key = "k", Value = "open" });
        using var client = await RawKafkaClient.ConnectAsync(broker.Broker.Port);

        var listed = await client.SendAsync<ListTransactionsRequest, ListTransactionsResponse>(new ListTransactionsRequest(), 1);
        var ongoing = await client.SendAsync<ListTransactionsRequest, ListTransactionsResponse>(
            new ListTransactionsRequest { StateFilters = ["Ongoing", "NoSuchState"], DurationFilter = 0 }, 1);
        var described = await client.SendAsync<DescribeTransactionsRequest, DescribeTransactionsResponse>(
            new DescribeTransactionsRequest { TransactionalIds = ["hanging-txn", "unknown-txn"] }, 0);
        var producers = await client.SendAsync<DescribeProducersRequest, DescribeProducersResponse>(
            new DescribeProducersRequest { Topics = [new DescribeProducersRequest.TopicRequest { Name = "pending", PartitionIndexes = [1, 9] }] }, 0);
        var logDirs = await client.SendAsync<DescribeLogDirsRequest, DescribeLogDirsResponse>(new DescribeLogDirsRequest { Topics = null }, 4);

        var transaction = Assert.Single(listed.TransactionStates);
        Assert.Equal(("hanging-txn", "Ongoing"), (transaction.TransactionalId, transaction.TransactionStateValue));
        Assert.Equal(["NoSuchState"], ongoing.UnknownStateFilters);
        Assert.Single(ongoing.TransactionStates);
        var state = described.TransactionStates.Single(s => s.TransactionalId == "hanging-txn");
        Assert.Equal((short)ProtocolError.None, state.ErrorCode);
        Assert.Equal(transaction.ProducerId, state.ProducerId);
        Assert.Equal("Ongoing", state.TransactionStateValue);
        Assert.True(state.TransactionStartTimeMs > 0);
        Assert.Equal([1], state.Topics.Single(t => t.Topic == "pending").Partitions);
        Assert.Equal((short)ProtocolError.TransactionalIdNotFound, described.TransactionStates.Single(s => s.TransactionalId == "unknown-txn").ErrorCode);
        var partitions = producers.Topics.Single().Partitions.ToDictionary(p => p.PartitionIndex);
        var active = Assert.Single(partitions[1].ActiveProducers);
        Assert.Equal(transaction.ProducerId, active.ProducerId);
        Assert.Equal(delivered.Offset.Value, active.CurrentTxnStartOffset);
        Assert.Equal((short)ProtocolError.UnknownTopicOrPartition, partitions[9].ErrorCode);
        var logDir = Assert.Single(logDirs.Results);
        var sizes = logDir.Topics.Single(t => t.Name == "pending").Partitions.ToDictionary(p => p.PartitionIndex, p => p.PartitionSize);
        Assert.True(sizes[1] > 0);
        Assert.Equal(0, sizes[0]);
        Assert.True(logDir.TotalBytes > 0);

        producer.AbortTransaction(TimeSpan.FromSeconds(30));
        var afterAbort = await client.SendAsync<ListTransactionsRequest, ListTransactionsResponse>(new ListTransactionsRequest { StateFilters = ["Ongoing"] }, 1);
        Assert.Empty(afterAbort.TransactionStates);
    }
}
