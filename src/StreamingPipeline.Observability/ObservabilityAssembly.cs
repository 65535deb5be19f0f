namespace StreamingPipeline.Observability;

/// <summary>Marks the observability assembly (metrics, Kafka inspection and the web console arrive with their issue).</summary>
public static class ObservabilityAssembly;
