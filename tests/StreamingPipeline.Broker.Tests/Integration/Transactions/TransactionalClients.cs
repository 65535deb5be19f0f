using Confluent.Kafka;

namespace StreamingPipeline.Broker.Tests.Integration.Transactions;

/// <summary>Transactional producers and isolation-level readers for the transaction tests.</summary>
internal static class TransactionalClients
{
    public static IProducer<string, string> Producer(string bootstrap, string transactionalId, Action<ProducerConfig>? configure = null) =>
        KafkaClients.Producer(bootstrap, config =>
        {
            config.TransactionalId = transactionalId;
            config.EnableIdempotence = true;
            configure?.Invoke(config);
        });

    /// <summary>A consumer without a group, for reading partitions by assignment.</summary>
    public static IConsumer<string, string> Consumer(string bootstrap, IsolationLevel isolation, Action<ConsumerConfig>? configure = null) =>
        KafkaClients.Consumer(bootstrap, "readers-" + Guid.NewGuid().ToString("N"), config =>
        {
            config.IsolationLevel = isolation;
            config.EnablePartitionEof = true;
            configure?.Invoke(config);
        });

    /// <summary>
    /// Reads every partition of <paramref name="topic"/> from the beginning up to the end the isolation level allows
    /// (partition EOF on each), in partition order.
    /// </summary>
    public static List<ConsumeResult<string, string>> ReadAll(string bootstrap, string topic, int partitions, IsolationLevel isolation, TimeSpan? timeout = null)
    {
        using var consumer = Consumer(bootstrap, isolation);
        consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var results = new List<ConsumeResult<string, string>>();
        var atEnd = new HashSet<int>();
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (atEnd.Count < partitions)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Reading {topic} ({isolation}) did not reach the end of every partition; at the end: {string.Join(",", atEnd)}.");
            }
            var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (result is null)
            {
                continue;
            }
            if (result.IsPartitionEOF)
            {
                atEnd.Add(result.Partition.Value);
                continue;
            }
            atEnd.Remove(result.Partition.Value);
            results.Add(result);
        }
        return results.OrderBy(r => r.Partition.Value).ThenBy(r => r.Offset.Value).ToList();
    }
}
