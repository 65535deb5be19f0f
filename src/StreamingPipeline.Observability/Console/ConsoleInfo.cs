namespace StreamingPipeline.Observability.Console;

/// <summary>What the page asks once on load: whether this address serves /metrics and what Kafka the console reads.</summary>
/// <param name="Metrics">True when <c>/metrics</c> is mapped on this address (the page then polls it).</param>
/// <param name="BootstrapServers">The Kafka cluster the console inspects, or null when none is configured.</param>
/// <param name="DlqTopic">The topic the DLQ page shows.</param>
internal sealed record ConsoleInfo(bool Metrics, string? BootstrapServers, string DlqTopic);
