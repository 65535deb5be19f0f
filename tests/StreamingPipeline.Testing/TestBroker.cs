using Confluent.Kafka;
using Confluent.Kafka.Admin;
using StreamingPipeline.Broker;

namespace StreamingPipeline.Testing;

/// <summary>
/// An embedded broker for one test, in this process, on a free loopback port and (unless the test names one) its own
/// temporary data directory, with client configs and clients pointed at it.
/// </summary>
public sealed class TestBroker : IAsyncDisposable
{
    private TestBroker(EmbeddedBroker broker) => Broker = broker;

    public EmbeddedBroker Broker { get; }

    public string BootstrapServers => Broker.BootstrapServers;

    /// <summary>Starts a broker built by <see cref="EmbeddedBroker.CreateBuilder"/>, after <paramref name="configure"/> added topics or options.</summary>
    public static async Task<TestBroker> StartAsync(Func<EmbeddedBrokerBuilder, EmbeddedBrokerBuilder>? configure = null, CancellationToken cancellationToken = default)
    {
        var builder = EmbeddedBroker.CreateBuilder();
        return new TestBroker(await (configure?.Invoke(builder) ?? builder).StartAsync(cancellationToken));
    }

    /// <inheritdoc cref="KafkaClients.ProducerConfig"/>
    public ProducerConfig ProducerConfig() => KafkaClients.ProducerConfig(BootstrapServers);

    /// <inheritdoc cref="KafkaClients.TransactionalProducerConfig"/>
    public ProducerConfig TransactionalProducerConfig(string transactionalId) => KafkaClients.TransactionalProducerConfig(BootstrapServers, transactionalId);

    /// <inheritdoc cref="KafkaClients.ConsumerConfig"/>
    public ConsumerConfig ConsumerConfig(string groupId) => KafkaClients.ConsumerConfig(BootstrapServers, groupId);

    public AdminClientConfig AdminConfig() => KafkaClients.AdminConfig(BootstrapServers);

    public IProducer<string, string> Producer(Action<ProducerConfig>? configure = null) => KafkaClients.Producer(BootstrapServers, configure);

    public IConsumer<string, string> Consumer(string groupId, Action<ConsumerConfig>? configure = null) => KafkaClients.Consumer(BootstrapServers, groupId, configure);

    /// <summary>Creates a topic through the admin API, as a component under test would find it.</summary>
    public async Task CreateTopicAsync(string name, int partitions, IReadOnlyDictionary<string, string>? configs = null)
    {
        using var admin = KafkaClients.Admin(BootstrapServers);
        await admin.CreateTopicsAsync([new TopicSpecification { Name = name, NumPartitions = partitions, ReplicationFactor = 1, Configs = configs?.ToDictionary() }]);
    }

    public ValueTask DisposeAsync() => Broker.DisposeAsync();
}
