using Confluent.Kafka;

namespace StreamingPipeline.Testing;

/// <summary>Real Confluent.Kafka clients and their configs, set up for fast, quiet tests against one local broker.</summary>
public static class KafkaClients
{
    /// <summary>acks=all and a short linger, so a test's records go out at once and are durable when acknowledged.</summary>
    public static ProducerConfig ProducerConfig(string bootstrap) => new()
    {
        BootstrapServers = bootstrap,
        Acks = Acks.All,
        LingerMs = 5,
        MessageTimeoutMs = 30_000,
    };

    /// <summary>
    /// A transactional, idempotent producer's config. metadata.recovery.strategy=none: with one broker, librdkafka's
    /// default (rebootstrap) can hang SendOffsetsToTransaction across a broker restart (docs/broker-limits.md).
    /// </summary>
    public static ProducerConfig TransactionalProducerConfig(string bootstrap, string transactionalId)
    {
        var config = ProducerConfig(bootstrap);
        config.TransactionalId = transactionalId;
        config.EnableIdempotence = true;
        config.MetadataRecoveryStrategy = MetadataRecoveryStrategy.None;
        return config;
    }

    /// <summary>A group member reading from the earliest offset, committing only when told, with short session and fetch waits.</summary>
    public static ConsumerConfig ConsumerConfig(string bootstrap, string groupId) => new()
    {
        BootstrapServers = bootstrap,
        GroupId = groupId,
        AutoOffsetReset = AutoOffsetReset.Earliest,
        EnableAutoCommit = false,
        SessionTimeoutMs = 6000,
        HeartbeatIntervalMs = 500,
        FetchWaitMaxMs = 100,
    };

    public static AdminClientConfig AdminConfig(string bootstrap) => new() { BootstrapServers = bootstrap };

    public static IProducer<string, string> Producer(string bootstrap, Action<ProducerConfig>? configure = null) =>
        Build(ProducerConfig(bootstrap), configure, config => new ProducerBuilder<string, string>(config).SetLogHandler((_, _) => { }).Build());

    /// <summary>An idempotent producer of raw key and value bytes, for records a test builds itself (timestamps, partitions, headers).</summary>
    public static IProducer<byte[], byte[]> ByteProducer(string bootstrap, Action<ProducerConfig>? configure = null) =>
        Build(ProducerConfig(bootstrap), config =>
        {
            config.EnableIdempotence = true;
            configure?.Invoke(config);
        }, config => new ProducerBuilder<byte[], byte[]>(config).SetLogHandler((_, _) => { }).Build());

    /// <summary>A producer from <see cref="TransactionalProducerConfig"/>; the test calls InitTransactions.</summary>
    public static IProducer<string, string> TransactionalProducer(string bootstrap, string transactionalId, Action<ProducerConfig>? configure = null) =>
        Build(TransactionalProducerConfig(bootstrap, transactionalId), configure, config => new ProducerBuilder<string, string>(config).SetLogHandler((_, _) => { }).Build());

    public static IConsumer<string, string> Consumer(string bootstrap, string groupId, Action<ConsumerConfig>? configure = null) =>
        Build(ConsumerConfig(bootstrap, groupId), configure, config => new ConsumerBuilder<string, string>(config).SetLogHandler((_, _) => { }).Build());

    /// <summary>A consumer for reading partitions by assignment at <paramref name="isolation"/>, reporting partition EOF.</summary>
    public static IConsumer<string, string> Reader(string bootstrap, IsolationLevel isolation, Action<ConsumerConfig>? configure = null) =>
        Consumer(bootstrap, "readers-" + Guid.NewGuid().ToString("N"), config =>
        {
            config.IsolationLevel = isolation;
            config.EnablePartitionEof = true;
            configure?.Invoke(config);
        });

    public static IAdminClient Admin(string bootstrap) =>
        new AdminClientBuilder(AdminConfig(bootstrap)).SetLogHandler((_, _) => { }).Build();

    /// <summary>Consumes until <paramref name="count"/> records arrived or the deadline passes, and returns what arrived.</summary>
    public static List<ConsumeResult<string, string>> ConsumeExactly(IConsumer<string, string> consumer, int count, TimeSpan timeout)
    {
        var results = new List<ConsumeResult<string, string>>();
        var deadline = DateTime.UtcNow + timeout;
        while (results.Count < count && DateTime.UtcNow < deadline)
        {
            var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (result is { IsPartitionEOF: false })
            {
                results.Add(result);
            }
        }
        return results;
    }

    /// <summary>
    /// Reads every partition of <paramref name="topic"/> from the beginning up to the end the isolation level allows
    /// (partition EOF on each), in partition and offset order.
    /// </summary>
    public static List<ConsumeResult<string, string>> ReadAll(string bootstrap, string topic, int partitions, IsolationLevel isolation, TimeSpan? timeout = null)
    {
        using var consumer = Reader(bootstrap, isolation);
        return ReadToEnd(consumer, topic, partitions, isolation, timeout);
    }

    /// <summary><see cref="ReadAll"/> with the keys and values as the bytes the producer sent.</summary>
    public static List<ConsumeResult<byte[], byte[]>> ReadAllBytes(string bootstrap, string topic, int partitions, IsolationLevel isolation, TimeSpan? timeout = null)
    {
        var config = ConsumerConfig(bootstrap, "readers-" + Guid.NewGuid().ToString("N"));
        config.IsolationLevel = isolation;
        config.EnablePartitionEof = true;
        using var consumer = new ConsumerBuilder<byte[], byte[]>(config).SetLogHandler((_, _) => { }).Build();
        return ReadToEnd(consumer, topic, partitions, isolation, timeout);
    }

    /// <summary>The offsets <paramref name="group"/> has committed on partitions 0..<paramref name="partitions"/>-1 of <paramref name="topic"/>, by partition.</summary>
    public static long[] CommittedOffsets(string bootstrap, string group, string topic, int partitions, TimeSpan timeout)
    {
        using var consumer = Consumer(bootstrap, group, c => c.IsolationLevel = IsolationLevel.ReadCommitted);
        return consumer.Committed(Enumerable.Range(0, partitions).Select(p => new TopicPartition(topic, p)), timeout)
            .OrderBy(c => c.Partition.Value)
            .Select(c => c.Offset.Value)
            .ToArray();
    }

    /// <summary>The high watermark of partitions 0..<paramref name="partitions"/>-1 of <paramref name="topic"/>, by partition.</summary>
    public static long[] EndOffsets(string bootstrap, string topic, int partitions, TimeSpan timeout)
    {
        using var consumer = Consumer(bootstrap, "watermarks");
        return Enumerable.Range(0, partitions)
            .Select(p => consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), timeout).High.Value)
            .ToArray();
    }

    /// <summary>Waits until <paramref name="group"/> has committed at least <paramref name="ends"/>[p] on each partition p of <paramref name="topic"/>.</summary>
    public static async Task WaitForCommittedAsync(string bootstrap, string group, string topic, IReadOnlyList<long> ends, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var committed = CommittedOffsets(bootstrap, group, topic, ends.Count, timeout);
            if (committed.Zip(ends).All(p => p.First >= p.Second))
            {
                return;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"group {group} committed {string.Join(",", committed)} on {topic}; expected at least {string.Join(",", ends)}");
            }
            await Task.Delay(50);
        }
    }

    private static List<ConsumeResult<TKey, TValue>> ReadToEnd<TKey, TValue>(IConsumer<TKey, TValue> consumer, string topic, int partitions, IsolationLevel isolation, TimeSpan? timeout)
    {
        consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var results = new List<ConsumeResult<TKey, TValue>>();
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

    private static TClient Build<TConfig, TClient>(TConfig config, Action<TConfig>? configure, Func<TConfig, TClient> build)
    {
        configure?.Invoke(config);
        return build(config);
    }
}
