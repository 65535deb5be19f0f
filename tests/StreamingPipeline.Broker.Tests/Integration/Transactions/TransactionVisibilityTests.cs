using Confluent.Kafka;

namespace StreamingPipeline.Broker.Tests.Integration.Transactions;

/// <summary>What read_committed and read_uncommitted consumers see of committed, aborted and open transactions.</summary>
public class TransactionVisibilityTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ReadCommittedSeesOnlyCommittedRecordsAndReadUncommittedSeesEverything()
    {
        await using var broker = await EmbeddedBroker.CreateBuilder().WithTopic("visibility", partitions: 2).StartAsync();
        using var producer = KafkaClients.TransactionalProducer(broker.BootstrapServers, "visibility-tx");
        producer.InitTransactions(Timeout);

        producer.BeginTransaction();
        ProduceValues(producer, "visibility", "committed-a", 10);
        producer.CommitTransaction(Timeout);
        producer.BeginTransaction();
        ProduceValues(producer, "visibility", "aborted", 10);
        producer.Flush(Timeout); // an abort purges records not yet sent; these must reach the log first
        producer.AbortTransaction(Timeout);
        producer.BeginTransaction();
        ProduceValues(producer, "visibility", "committed-b", 10);
        producer.CommitTransaction(Timeout);

        var committed = KafkaClients.ReadAll(broker.BootstrapServers, "visibility", 2, IsolationLevel.ReadCommitted);
        var uncommitted = KafkaClients.ReadAll(broker.BootstrapServers, "visibility", 2, IsolationLevel.ReadUncommitted);

        Assert.Equal(
            Enumerable.Range(0, 10).Select(i => $"committed-a-{i}").Concat(Enumerable.Range(0, 10).Select(i => $"committed-b-{i}")).Order(),
            committed.Select(r => r.Message.Value).Order());
        Assert.Equal(30, uncommitted.Count);
        Assert.Equal(10, uncommitted.Count(r => r.Message.Value.StartsWith("aborted", StringComparison.Ordinal)));
        // Three markers per partition that received data take offsets but are never delivered as records.
        var markers = Enumerable.Range(0, 2).Sum(p => broker.State.Logs.GetPartition("visibility", p)!.LogEndOffset) - 30;
        Assert.True(markers >= 3, $"expected control batches in the log, found {markers} extra offsets");
        Assert.All(uncommitted, r => Assert.NotNull(r.Message.Value));
    }

    [Fact]
    public async Task AnOpenTransactionHoldsReadCommittedConsumersAtTheLastStableOffset()
    {
        await using var broker = await EmbeddedBroker.CreateBuilder().WithTopic("open-txn").StartAsync();
        using var plain = KafkaClients.Producer(broker.BootstrapServers);
        using var producer = KafkaClients.TransactionalProducer(broker.BootstrapServers, "open-txn-tx");
        producer.InitTransactions(Timeout);
        await plain.ProduceAsync(new TopicPartition("open-txn", 0), new Message<string, string> { Key = "k", Value = "before" });
        producer.BeginTransaction();
        ProduceValues(producer, "open-txn", "pending", 5, partition: 0);
        producer.Flush(Timeout);
        await plain.ProduceAsync(new TopicPartition("open-txn", 0), new Message<string, string> { Key = "k", Value = "after" });
        var log = broker.State.Logs.GetPartition("open-txn", 0)!;

        Assert.Equal(1, log.LastStableOffset);
        Assert.Equal(7, log.HighWatermark);
        using (var reader = KafkaClients.Reader(broker.BootstrapServers, IsolationLevel.ReadCommitted))
        {
            var watermarks = reader.QueryWatermarkOffsets(new TopicPartition("open-txn", 0), Timeout);
            Assert.Equal(1, watermarks.High.Value);
            reader.Assign(new TopicPartitionOffset("open-txn", 0, Offset.Beginning));
            Assert.Equal(["before"], KafkaClients.ConsumeExactly(reader, 3, TimeSpan.FromSeconds(2)).Select(r => r.Message.Value));
        }

        producer.CommitTransaction(Timeout);

        Assert.Equal(8, log.LastStableOffset);
        var committed = KafkaClients.ReadAll(broker.BootstrapServers, "open-txn", 1, IsolationLevel.ReadCommitted);
        Assert.Equal(["before", "pending-0", "pending-1", "pending-2", "pending-3", "pending-4", "after"], committed.Select(r => r.Message.Value));
    }

    [Fact]
    public async Task InterleavedTransactionsOfSeveralProducersResolveIndependently()
    {
        await using var broker = await EmbeddedBroker.CreateBuilder().WithTopic("interleaved", partitions: 3).StartAsync();
        using var first = KafkaClients.TransactionalProducer(broker.BootstrapServers, "interleaved-1");
        using var second = KafkaClients.TransactionalProducer(broker.BootstrapServers, "interleaved-2");
        using var plain = KafkaClients.Producer(broker.BootstrapServers);
        first.InitTransactions(Timeout);
        second.InitTransactions(Timeout);
        var expected = new List<string>();

        // Scripted orders on the same partitions: commit/abort, abort/commit, open/commit, commit/commit.
        for (var round = 0; round < 4; round++)
        {
            first.BeginTransaction();
            second.BeginTransaction();
            for (var i = 0; i < 6; i++)
            {
                first.Produce(new TopicPartition("interleaved", i % 3), Message($"r{round}-first-{i}"));
                second.Produce(new TopicPartition("interleaved", (i + 1) % 3), Message($"r{round}-second-{i}"));
                plain.Produce(new TopicPartition("interleaved", (i + 2) % 3), Message($"r{round}-plain-{i}"));
                expected.Add($"r{round}-plain-{i}");
            }
            first.Flush(Timeout);
            second.Flush(Timeout);
            plain.Flush(Timeout);
            var (firstCommits, secondCommits) = round switch
            {
                0 => (true, false),
                1 => (false, true),
                _ => (true, true),
            };
            if (round == 2)
            {
                // The second transaction stays open while the first commits, then commits as well.
                first.CommitTransaction(Timeout);
                Assert.DoesNotContain(
                    KafkaClients.ReadAll(broker.BootstrapServers, "interleaved", 3, IsolationLevel.ReadCommitted),
                    r => r.Message.Value.StartsWith("r2-second", StringComparison.Ordinal));
                second.CommitTransaction(Timeout);
            }
            else
            {
                End(first, firstCommits);
                End(second, secondCommits);
            }
            expected.AddRange(Enumerable.Range(0, 6).Where(_ => firstCommits).Select(i => $"r{round}-first-{i}"));
            expected.AddRange(Enumerable.Range(0, 6).Where(_ => secondCommits).Select(i => $"r{round}-second-{i}"));
        }

        var committed = KafkaClients.ReadAll(broker.BootstrapServers, "interleaved", 3, IsolationLevel.ReadCommitted);
        var everything = KafkaClients.ReadAll(broker.BootstrapServers, "interleaved", 3, IsolationLevel.ReadUncommitted);

        Assert.Equal(expected.Order(StringComparer.Ordinal), committed.Select(r => r.Message.Value).Order(StringComparer.Ordinal));
        Assert.Equal(4 * 18, everything.Count);
        Assert.All(Enumerable.Range(0, 3), p =>
        {
            var log = broker.State.Logs.GetPartition("interleaved", p)!;
            Assert.Equal(log.HighWatermark, log.LastStableOffset);
        });
    }

    [Fact]
    public async Task ReadCommittedFetchThatFindsOnlyAbortedDataDoesNotStallTheConsumer()
    {
        await using var broker = await EmbeddedBroker.CreateBuilder().WithTopic("mostly-aborted", partitions: 4).StartAsync();
        using var producer = KafkaClients.TransactionalProducer(broker.BootstrapServers, "mostly-aborted-tx");
        producer.InitTransactions(Timeout);
        for (var round = 0; round < 10; round++)
        {
            producer.BeginTransaction();
            ProduceValues(producer, "mostly-aborted", $"aborted-{round}", 1000);
            producer.Flush(Timeout);
            producer.AbortTransaction(Timeout);
        }
        producer.BeginTransaction();
        ProduceValues(producer, "mostly-aborted", "kept", 1000);
        producer.CommitTransaction(Timeout);

        var committed = KafkaClients.ReadAll(broker.BootstrapServers, "mostly-aborted", 4, IsolationLevel.ReadCommitted);
        var stored = Enumerable.Range(0, 4).Sum(p => broker.State.Logs.GetPartition("mostly-aborted", p)!.LogEndOffset);

        Assert.True(stored >= 11_000, $"only {stored} offsets were written");
        Assert.Equal(1000, committed.Count);
        Assert.All(committed, r => Assert.StartsWith("kept-", r.Message.Value, StringComparison.Ordinal));
        Assert.Equal(1000, committed.Select(r => r.Message.Value).Distinct().Count());
    }

    private static void ProduceValues(IProducer<string, string> producer, string topic, string prefix, int count, int partition = -1)
    {
        for (var i = 0; i < count; i++)
        {
            var message = new Message<string, string> { Key = $"{prefix}-{i % 7}", Value = $"{prefix}-{i}" };
            if (partition >= 0)
            {
                producer.Produce(new TopicPartition(topic, partition), message);
            }
            else
            {
                producer.Produce(topic, message);
            }
        }
    }

    private static Message<string, string> Message(string value) => new() { Key = value, Value = value };

    private static void End(IProducer<string, string> producer, bool commit)
    {
        if (commit)
        {
            producer.CommitTransaction(Timeout);
        }
        else
        {
            producer.AbortTransaction(Timeout);
        }
    }
}
