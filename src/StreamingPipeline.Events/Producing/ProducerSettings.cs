namespace StreamingPipeline.Events.Producing;

/// <summary>Where and how <see cref="EventProducer"/> sends the generated stream.</summary>
public sealed record ProducerSettings
{
    /// <summary>Kafka bootstrap servers.</summary>
    public required string BootstrapServers { get; init; }

    /// <summary>The topic to write (it must exist).</summary>
    public required string Topic { get; init; }

    /// <summary>Records per second, or -1 for as fast as possible.</summary>
    public double Rate { get; init; } = -1;

    /// <summary>Stop generating after this wall-clock time; null for no limit.</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>Most records sent but not yet acknowledged; the generator waits when it is reached.</summary>
    public int MaxInFlight { get; init; } = 100_000;

    /// <summary>How long a record may stay unacknowledged (broker slow or gone) before the run stops with an error.</summary>
    public TimeSpan DeliveryTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Extra librdkafka settings, applied last.</summary>
    public IReadOnlyDictionary<string, string> Config { get; init; } = new Dictionary<string, string>();

    /// <summary>Where to write the summary JSON, or null.</summary>
    public string? SummaryPath { get; init; }

    /// <summary>Where to write the truth file, or null.</summary>
    public string? TruthFilePath { get; init; }
}
