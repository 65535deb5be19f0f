namespace StreamingPipeline.Observability.Console;

/// <summary>The console was started without Kafka bootstrap servers, so its Kafka pages have nothing to read.</summary>
public sealed class KafkaNotConfiguredException : Exception
{
    public KafkaNotConfiguredException()
        : base("Kafka is not configured: start the query API with -b/--bootstrap-servers to see topics, groups and the DLQ")
    {
    }

    public KafkaNotConfiguredException(string message)
        : base(message)
    {
    }

    public KafkaNotConfiguredException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
