using Confluent.Kafka;

namespace StreamingPipeline.Processing;

/// <summary>The librdkafka settings of the runtime's clients, in one place.</summary>
internal static class ClientConfigs
{
    public static ProducerConfig TransactionalProducer(ProcessingOptions options, string transactionalId) => WithExtras(new ProducerConfig
    {
        BootstrapServers = options.BootstrapServers,
        TransactionalId = transactionalId,
        EnableIdempotence = true,
        TransactionTimeoutMs = (int)options.TransactionTimeout.TotalMilliseconds,
        MessageTimeoutMs = (int)options.TransactionTimeout.TotalMilliseconds,
        LingerMs = 5,
        QueueBufferingMaxMessages = 1_000_000,
        // Only the outcome and offset of a delivery are read; copying keys and values back would be wasted work.
        DeliveryReportFields = "status",
        ReconnectBackoffMs = 50,
        ReconnectBackoffMaxMs = 1000,
        // One broker: while it is down, librdkafka's default re-bootstrap decommissions its handle, and a
        // SendOffsetsToTransaction waiting for that cached coordinator can hang past its timeout (docs/broker-limits.md).
        MetadataRecoveryStrategy = MetadataRecoveryStrategy.None,
    }, options);

    public static ConsumerConfig GroupConsumer(ProcessingOptions options) => WithExtras(new ConsumerConfig
    {
        BootstrapServers = options.BootstrapServers,
        GroupId = options.GroupId,
        EnableAutoCommit = false,
        EnableAutoOffsetStore = false,
        IsolationLevel = IsolationLevel.ReadCommitted,
        AutoOffsetReset = AutoOffsetReset.Earliest,
        SessionTimeoutMs = (int)options.SessionTimeout.TotalMilliseconds,
        HeartbeatIntervalMs = Math.Max(100, (int)options.SessionTimeout.TotalMilliseconds / 5),
        FetchWaitMaxMs = 100,
        ReconnectBackoffMs = 50,
        ReconnectBackoffMaxMs = 1000,
        MetadataRecoveryStrategy = MetadataRecoveryStrategy.None,
    }, options);

    public static ConsumerConfig RestoreConsumer(ProcessingOptions options) => WithExtras(new ConsumerConfig
    {
        BootstrapServers = options.BootstrapServers,
        // Never joins the group: partitions are assigned by hand and nothing is committed.
        GroupId = options.GroupId + "-restore",
        EnableAutoCommit = false,
        EnableAutoOffsetStore = false,
        IsolationLevel = IsolationLevel.ReadCommitted,
        AutoOffsetReset = AutoOffsetReset.Earliest,
        EnablePartitionEof = true,
        FetchWaitMaxMs = 100,
        ReconnectBackoffMs = 50,
        ReconnectBackoffMaxMs = 1000,
        MetadataRecoveryStrategy = MetadataRecoveryStrategy.None,
    }, options);

    public static AdminClientConfig Admin(ProcessingOptions options) => WithExtras(new AdminClientConfig
    {
        BootstrapServers = options.BootstrapServers,
        ReconnectBackoffMs = 50,
        ReconnectBackoffMaxMs = 1000,
        MetadataRecoveryStrategy = MetadataRecoveryStrategy.None,
    }, options);

    private static T WithExtras<T>(T config, ProcessingOptions options)
        where T : ClientConfig
    {
        foreach (var (key, value) in options.ClientConfig)
        {
            config.Set(key, value);
        }
        return config;
    }
}
