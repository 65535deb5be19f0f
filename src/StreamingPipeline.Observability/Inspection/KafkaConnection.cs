using Confluent.Kafka;

namespace StreamingPipeline.Observability.Inspection;

/// <summary>Where the Kafka cluster to inspect is (the embedded broker's default listener unless told) and how long one request may take.</summary>
/// <param name="BootstrapServers">host:port[,host:port...].</param>
public sealed record KafkaConnection(string BootstrapServers = KafkaConnection.DefaultBootstrapServers)
{
    /// <summary>The embedded broker's default listener.</summary>
    public const string DefaultBootstrapServers = "127.0.0.1:9092";

    /// <summary>How long one admin or metadata request may take before it fails.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(15);

    internal AdminClientConfig AdminConfig() => new()
    {
        BootstrapServers = BootstrapServers,
        AllowAutoCreateTopics = false,
        SocketTimeoutMs = (int)RequestTimeout.TotalMilliseconds,
    };

    /// <summary>
    /// A consumer that reads by assignment only, no topic auto-creation, and partition EOF reported so a bounded read
    /// knows when it reached the end. Confluent.Kafka requires a group.id; it is never used, since the reader never
    /// subscribes nor commits, so the broker never hears of the group.
    /// </summary>
    internal ConsumerConfig ReaderConfig(ReadIsolation isolation) => new()
    {
        BootstrapServers = BootstrapServers,
        GroupId = "pipeline-inspect-reader",
        AllowAutoCreateTopics = false,
        EnableAutoCommit = false,
        EnableAutoOffsetStore = false,
        EnablePartitionEof = true,
        IsolationLevel = isolation.ToKafka(),
        AutoOffsetReset = AutoOffsetReset.Earliest,
        FetchWaitMaxMs = 100,
        SocketTimeoutMs = (int)RequestTimeout.TotalMilliseconds,
    };
}
