namespace StreamingPipeline.Observability.Console;

/// <summary>What the web console reads besides the query API it is served with.</summary>
public sealed record WebConsoleOptions
{
    /// <summary>The Kafka cluster the topic, group and DLQ pages inspect; null: those pages say Kafka is not configured.</summary>
    public string? BootstrapServers { get; init; }

    /// <summary>The topic whose latest records the DLQ page shows.</summary>
    public string DlqTopic { get; init; } = "user-events-dlq";

    /// <summary>
    /// How long one overview (end offsets, group offsets) is reused: many open pages polling every second then cost
    /// the cluster one round of admin requests per interval, not one per page.
    /// </summary>
    public TimeSpan OverviewCacheTime { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long topic and group lists are reused before the cluster is asked again.</summary>
    public TimeSpan MetadataCacheTime { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long one admin request to the cluster may take before the page shows an error.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(5);
}
