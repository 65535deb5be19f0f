using Confluent.Kafka;

namespace StreamingPipeline.Broker.Tests.Integration;

/// <summary>Real Confluent.Kafka clients configured for fast, quiet tests against an embedded broker.</summary>
internal static class KafkaClients
{
    public static IProducer<string, string> Producer(string bootstrap, Action<ProducerConfig>? configure = null)
    {
        var config = new ProducerConfig
        {
            BootstrapServers = bootstrap,
            Acks = Acks.All,
            LingerMs = 5,
            MessageTimeoutMs = 30_000,
        };
        configure?.Invoke(config);
        return new ProducerBuilder<string, string>(config).SetLogHandler((_, _) => { }).Build();
    }

    public static IConsumer<string, string> Consumer(string bootstrap, string groupId, Action<ConsumerConfig>? configure = null)
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = groupId,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
            SessionTimeoutMs = 6000,
            HeartbeatIntervalMs = 500,
            FetchWaitMaxMs = 100,
        };
        configure?.Invoke(config);
        return new ConsumerBuilder<string, string>(config).SetLogHandler((_, _) => { }).Build();
    }

    /// <summary>Consumes until <paramref name="count"/> records arrived or the deadline passes.</summary>
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
}
