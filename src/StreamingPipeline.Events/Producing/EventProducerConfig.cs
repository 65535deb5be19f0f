using Confluent.Kafka;

namespace StreamingPipeline.Events.Producing;

/// <summary>
/// The producer settings the generator uses (and the benchmark's yardstick copies): idempotent, acks=all,
/// murmur2 partitioning, a bounded queue and a delivery timeout after which the run stops.
/// </summary>
public static class EventProducerConfig
{
    /// <summary>Builds the config; <paramref name="overrides"/> (from <c>--config k=v</c>) are applied last.</summary>
    public static ProducerConfig Create(
        string bootstrapServers,
        int maxInFlight,
        TimeSpan deliveryTimeout,
        IReadOnlyDictionary<string, string>? overrides = null)
    {
        var config = new ProducerConfig
        {
            BootstrapServers = bootstrapServers,
            // Idempotence makes librdkafka's retries invisible: the broker drops a retried batch it already has.
            EnableIdempotence = true,
            Acks = Acks.All,
            MaxInFlight = 5,
            LingerMs = 5,
            CompressionType = CompressionType.None,
            Partitioner = Partitioner.Murmur2Random,
            MessageTimeoutMs = (int)Math.Clamp(deliveryTimeout.TotalMilliseconds, 1, int.MaxValue),
            // The generator's own in-flight bound is the real limit; the queue only needs to be a little larger.
            QueueBufferingMaxMessages = maxInFlight + 1024,
            // After a broker restart, reconnect within about a second rather than backing off to 10 s.
            ReconnectBackoffMs = 50,
            ReconnectBackoffMaxMs = 1000,
            DeliveryReportFields = "none",
            ClientId = "pipeline-produce",
        };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string>())
        {
            config.Set(key, value);
        }
        return config;
    }
}
