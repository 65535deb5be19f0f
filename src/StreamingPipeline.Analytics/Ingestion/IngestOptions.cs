namespace StreamingPipeline.Analytics.Ingestion;

/// <summary>What an <see cref="AnalyticsIngester"/> reads, where bad records go, and how it batches.</summary>
public sealed record IngestOptions
{
    /// <summary>Kafka bootstrap servers.</summary>
    public required string BootstrapServers { get; init; }

    /// <summary>The topic to ingest (read_committed).</summary>
    public string Topic { get; init; } = "output-user-events";

    /// <summary>Where records that are not valid events go.</summary>
    public string DlqTopic { get; init; } = "user-events-dlq";

    /// <summary>
    /// The partitions this instance ingests; null means every partition of the topic, including partitions added while
    /// it runs (found within <see cref="PartitionDiscoveryInterval"/>).
    /// </summary>
    public IReadOnlyList<int>? Partitions { get; init; }

    /// <summary>How often an instance that ingests every partition looks for partitions added to the topic.</summary>
    public TimeSpan PartitionDiscoveryInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>A batch is committed once it holds this many records...</summary>
    public int MaxBatchRecords { get; init; } = 50_000;

    /// <summary>...or once its first record waited this long: the bound on how late a new event becomes queryable.</summary>
    public TimeSpan MaxBatchDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Stop once every assigned partition is consumed to its end (read_committed) and committed, like kcat's <c>-e</c>:
    /// for one-off loads and tests. False: run until cancelled.
    /// </summary>
    public bool StopAtEnd { get; init; }

    /// <summary>Timeout of each blocking Kafka call (metadata, DLQ transaction).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The DLQ producer's transaction timeout: how soon the broker aborts a dead instance's open DLQ transaction.</summary>
    public TimeSpan TransactionTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Extra librdkafka settings for the consumer, producer and admin clients (later wins).</summary>
    public IReadOnlyDictionary<string, string> ClientConfig { get; init; } = new Dictionary<string, string>();
}
