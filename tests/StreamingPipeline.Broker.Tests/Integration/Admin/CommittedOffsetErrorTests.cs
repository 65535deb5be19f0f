using Confluent.Kafka;
using StreamingPipeline.Broker.Tests.Integration.Transactions;
using StreamingPipeline.Protocol.Messages;
using ProtocolError = StreamingPipeline.Protocol.ErrorCode;

namespace StreamingPipeline.Broker.Tests.Integration.Admin;

/// <summary>OffsetCommit, TxnOffsetCommit and OffsetFetch for topics and partitions that do not exist, as Kafka answers.</summary>
public class CommittedOffsetErrorTests
{
    [Fact]
    public async Task CommittingToAMissingTopicOrPartitionIsUnknownTopicOrPartitionAndFetchingItIsNoOffset()
    {
        await using var broker = await TestBroker.StartAsync(b => b.WithTopic("known", 1).WithOptions(o => o with { AutoCreateTopics = false }));
        using var consumer = broker.Consumer("committer");

        // librdkafka reports the first partition error of the commit as the call's error.
        var failure = Assert.ThrowsAny<KafkaException>(() => consumer.Commit(
        [
            new TopicPartitionOffset("known", 0, 3),
            new TopicPartitionOffset("mistyped", 0, 5),
            new TopicPartitionOffset("known", 4, 7),
        ]));
        var committed = consumer.Committed([new TopicPartition("known", 0), new TopicPartition("mistyped", 0)], TimeSpan.FromSeconds(10));

        Assert.Equal(ErrorCode.UnknownTopicOrPart, failure.Error.Code);
        if (failure is TopicPartitionOffsetException partitions)
        {
            var errors = partitions.Results.ToDictionary(r => (r.Topic, r.Partition.Value), r => r.Error.Code);
            Assert.Equal((ErrorCode.NoError, ErrorCode.UnknownTopicOrPart, ErrorCode.UnknownTopicOrPart), (errors[("known", 0)], errors[("mistyped", 0)], errors[("known", 4)]));
        }
        Assert.Equal(3, committed.Single(c => c.Topic == "known").Offset.Value);
        Assert.Equal(Offset.Unset, committed.Single(c => c.Topic == "mistyped").Offset);
    }

    [Fact]
    public async Task ATransactionalCommitToAMissingPartitionIsUnknownTopicOrPartition()
    {
        await using var broker = await TestBroker.StartAsync(b => b.WithTopic("known", 1).WithOptions(o => o with { AutoCreateTopics = false }));
        using var client = await RawKafkaClient.ConnectAsync(broker.Broker.Port);
        var producer = await client.SendAsync<InitProducerIdRequest, InitProducerIdResponse>(
            new InitProducerIdRequest { TransactionalId = "raw-txn", TransactionTimeoutMs = 60_000 }, 4);
        var added = await client.SendAsync<AddOffsetsToTxnRequest, AddOffsetsToTxnResponse>(
            new AddOffsetsToTxnRequest { TransactionalId = "raw-txn", ProducerId = producer.ProducerId, ProducerEpoch = producer.ProducerEpoch, GroupId = "txn-group" }, 3);

        var response = await client.SendAsync<TxnOffsetCommitRequest, TxnOffsetCommitResponse>(new TxnOffsetCommitRequest
        {
            TransactionalId = "raw-txn",
            GroupId = "txn-group",
            ProducerId = producer.ProducerId,
            ProducerEpoch = producer.ProducerEpoch,
            Topics =
            [
                new TxnOffsetCommitRequest.TxnOffsetCommitRequestTopic { Name = "known", Partitions = [new() { PartitionIndex = 0, CommittedOffset = 1 }, new() { PartitionIndex = 3, CommittedOffset = 1 }] },
                new TxnOffsetCommitRequest.TxnOffsetCommitRequestTopic { Name = "mistyped", Partitions = [new() { PartitionIndex = 0, CommittedOffset = 1 }] },
            ],
        }, 3);

        var errors = response.Topics.SelectMany(t => t.Partitions.Select(p => ((t.Name, p.PartitionIndex), (ProtocolError)p.ErrorCode))).ToDictionary();
        Assert.Equal((short)ProtocolError.None, added.ErrorCode);
        Assert.Equal(ProtocolError.None, errors[("known", 0)]);
        Assert.Equal(ProtocolError.UnknownTopicOrPartition, errors[("known", 3)]);
        Assert.Equal(ProtocolError.UnknownTopicOrPartition, errors[("mistyped", 0)]);
    }
}
