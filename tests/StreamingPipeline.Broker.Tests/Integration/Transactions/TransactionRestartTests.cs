using Confluent.Kafka;
using StreamingPipeline.Broker.Transactions;

namespace StreamingPipeline.Broker.Tests.Integration.Transactions;

/// <summary>After a restart, clean or from a crash image, every transaction ends as the coordinator decided.</summary>
public class TransactionRestartTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly string _dataDirectory = Directory.CreateTempSubdirectory("txn-restart-").FullName;
    private readonly string _crashImage = Directory.CreateTempSubdirectory("txn-crash-").FullName;

    public void Dispose()
    {
        Directory.Delete(_dataDirectory, recursive: true);
        Directory.Delete(_crashImage, recursive: true);
    }

    [Fact]
    public async Task DecidedTransactionsStayDecidedAndAnOpenOneIsAbortedByItsTimeoutAfterARestart()
    {
        await using (var broker = await EmbeddedBroker.CreateBuilder().WithDataDirectory(_dataDirectory).WithTopic("restarted", partitions: 2).StartAsync())
        {
            using var producer = KafkaClients.TransactionalProducer(broker.BootstrapServers, "restarted-tx", c =>
            {
                c.TransactionTimeoutMs = 5000;
                c.MessageTimeoutMs = 5000;
            });
            producer.InitTransactions(Timeout);
            RunTransaction(producer, "restarted", "committed", commit: true);
            RunTransaction(producer, "restarted", "aborted", commit: false);
            RunTransaction(producer, "restarted", "open", commit: null);
            using var plain = KafkaClients.Producer(broker.BootstrapServers);
            await plain.ProduceAsync(new TopicPartition("restarted", 0), new Message<string, string> { Key = "k", Value = "plain" });
        }

        await using var restarted = await EmbeddedBroker.CreateBuilder().WithDataDirectory(_dataDirectory).StartAsync();
        var partition = restarted.State.Logs.GetPartition("restarted", 0)!;
        Assert.True(partition.LastStableOffset < partition.HighWatermark, "the open transaction still holds the last stable offset");

        await Eventually.TrueAsync(() => partition.LastStableOffset == partition.HighWatermark, "the timeout to abort the open transaction", Timeout);
        var committed = KafkaClients.ReadAll(restarted.BootstrapServers, "restarted", 2, IsolationLevel.ReadCommitted);
        Assert.Equal(
            Enumerable.Range(0, 4).Select(i => $"committed-{i}").Append("plain").Order(StringComparer.Ordinal),
            committed.Select(r => r.Message.Value).Order(StringComparer.Ordinal));
        Assert.Equal(TransactionState.CompleteAbort, restarted.State.Transactions.GetTransaction("restarted-tx")!.State);
    }

    [Fact]
    public async Task ACommitDecidedBeforeACrashIsCompletedWhenTheBrokerComesBack()
    {
        await using (var broker = await EmbeddedBroker.CreateBuilder().WithDataDirectory(_dataDirectory).WithTopic("decided", partitions: 2).StartAsync())
        {
            using var producer = KafkaClients.TransactionalProducer(broker.BootstrapServers, "decided-tx");
            producer.InitTransactions(Timeout);
            RunTransaction(producer, "decided", "first", commit: true);
            RunTransaction(producer, "decided", "second", commit: null);
            CrashImage.Copy(_dataDirectory, _crashImage);
        }

        // The crash came right after the coordinator made PrepareCommit durable, before any marker was written.
        var coordinatorDirectory = Path.Combine(_crashImage, EmbeddedBroker.TransactionStateDirectoryName);
        var (log, state) = await TransactionLog.OpenAsync(coordinatorDirectory, flushToDisk: false);
        await using (log)
        {
            Assert.Equal(TransactionState.Ongoing, state["decided-tx"].State);
            await log.AppendAsync(state["decided-tx"] with { State = TransactionState.PrepareCommit });
        }

        await using var recovered = await EmbeddedBroker.CreateBuilder().WithDataDirectory(_crashImage).StartAsync();

        Assert.Equal(TransactionState.CompleteCommit, recovered.State.Transactions.GetTransaction("decided-tx")!.State);
        var committed = KafkaClients.ReadAll(recovered.BootstrapServers, "decided", 2, IsolationLevel.ReadCommitted);
        Assert.Equal(
            Enumerable.Range(0, 4).SelectMany(i => new[] { $"first-{i}", $"second-{i}" }).Order(StringComparer.Ordinal),
            committed.Select(r => r.Message.Value).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task AnOpenTransactionInACrashImageIsAbortedWhenItsProducerComesBack()
    {
        await using (var broker = await EmbeddedBroker.CreateBuilder().WithDataDirectory(_dataDirectory).WithTopic("reborn", partitions: 2).StartAsync())
        {
            using var producer = KafkaClients.TransactionalProducer(broker.BootstrapServers, "reborn-tx");
            producer.InitTransactions(Timeout);
            RunTransaction(producer, "reborn", "kept", commit: true);
            RunTransaction(producer, "reborn", "lost", commit: null);
            CrashImage.Copy(_dataDirectory, _crashImage);
        }

        await using var recovered = await EmbeddedBroker.CreateBuilder().WithDataDirectory(_crashImage).StartAsync();
        using var reborn = KafkaClients.TransactionalProducer(recovered.BootstrapServers, "reborn-tx");
        reborn.InitTransactions(Timeout);
        RunTransaction(reborn, "reborn", "after", commit: true);

        var committed = KafkaClients.ReadAll(recovered.BootstrapServers, "reborn", 2, IsolationLevel.ReadCommitted);
        Assert.Equal(
            Enumerable.Range(0, 4).SelectMany(i => new[] { $"kept-{i}", $"after-{i}" }).Order(StringComparer.Ordinal),
            committed.Select(r => r.Message.Value).Order(StringComparer.Ordinal));
        Assert.All(Enumerable.Range(0, 2), p =>
        {
            var partition = recovered.State.Logs.GetPartition("reborn", p)!;
            Assert.Equal(partition.HighWatermark, partition.LastStableOffset);
        });
    }

    /// <summary>Four records over both partitions; commit, abort, or leave the transaction open (null).</summary>
    private static void RunTransaction(IProducer<string, string> producer, string topic, string prefix, bool? commit)
    {
        producer.BeginTransaction();
        for (var i = 0; i < 4; i++)
        {
            producer.Produce(new TopicPartition(topic, i % 2), new Message<string, string> { Key = prefix, Value = $"{prefix}-{i}" });
        }
        producer.Flush(Timeout);
        if (commit == true)
        {
            producer.CommitTransaction(Timeout);
        }
        else if (commit == false)
        {
            producer.AbortTransaction(Timeout);
        }
    }
}
