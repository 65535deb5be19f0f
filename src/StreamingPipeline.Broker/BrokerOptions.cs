using StreamingPipeline.Broker.Log;

namespace StreamingPipeline.Broker;

/// <summary>How a broker listens, where it keeps its data and the defaults it applies (Kafka's server.properties).</summary>
public sealed record BrokerOptions
{
    /// <summary>The address to listen on; loopback unless asked otherwise.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>The port to listen on; 0 picks a free one.</summary>
    public int Port { get; init; } = 9092;

    /// <summary>The host clients are told to connect to (Kafka's advertised.listeners); defaults to <see cref="Host"/>.</summary>
    public string? AdvertisedHost { get; init; }

    /// <summary>Where topics, offsets and transaction state live.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>This broker's node id in metadata responses.</summary>
    public int NodeId { get; init; } = 1;

    /// <summary>The cluster id reported in metadata; generated and stored on first start when null.</summary>
    public string? ClusterId { get; init; }

    /// <summary>Partitions of an automatically created topic (num.partitions).</summary>
    public int DefaultPartitions { get; init; } = 1;

    /// <summary>Create unknown topics when a client asks for their metadata (auto.create.topics.enable).</summary>
    public bool AutoCreateTopics { get; init; } = true;

    /// <summary>The largest request frame accepted (socket.request.max.bytes); larger ones close the connection.</summary>
    public int MaxRequestBytes { get; init; } = 100 * 1024 * 1024;

    /// <summary>Defaults for every topic's log (segment size, retention, flush policy...).</summary>
    public LogConfig LogDefaults { get; init; } = new();

    /// <summary>How long a new group waits for more members before its first rebalance (group.initial.rebalance.delay.ms).</summary>
    public TimeSpan GroupInitialRebalanceDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Memory of the log cleaner's offset map (log.cleaner.dedupe.buffer.size); bounds what compaction uses.</summary>
    public long LogCleanerDedupeBufferSize { get; init; } = 32L * 1024 * 1024;

    /// <summary>How long the log cleaner sleeps when no compacted partition needs cleaning (log.cleaner.backoff.ms).</summary>
    public TimeSpan LogCleanerBackoff { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>The default of <see cref="LogCleanerIoMaxBytesPerSecond"/>: 4 MiB/s (Kafka's is unlimited; see docs/BENCHMARKS.md).</summary>
    public const double DefaultLogCleanerIoMaxBytesPerSecond = 4 * 1024 * 1024;

    /// <summary>
    /// Bytes per second the log cleaner may read plus write (log.cleaner.io.max.bytes.per.second), so a busy cleaner
    /// leaves the produce and fetch paths their throughput; <see cref="double.PositiveInfinity"/> for no limit.
    /// </summary>
    public double LogCleanerIoMaxBytesPerSecond { get; init; } = DefaultLogCleanerIoMaxBytesPerSecond;

    /// <summary>Run the log cleaner for compacted topics (log.cleaner.enable).</summary>
    public bool LogCleanerEnabled { get; init; } = true;

    /// <summary>How often retention is applied (log.retention.check.interval.ms).</summary>
    public TimeSpan RetentionCheckInterval { get; init; } = TimeSpan.FromMinutes(5);
}
