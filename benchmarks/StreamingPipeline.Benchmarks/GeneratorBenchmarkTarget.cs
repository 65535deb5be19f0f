using Confluent.Kafka;

namespace StreamingPipeline.Benchmarks;

/// <summary>
/// The broker the generator benchmark runs against: <c>--bootstrap-servers</c> when given, otherwise an embedded
/// broker started in this process with the topic created. <c>--mock</c> uses librdkafka's mock cluster to
/// smoke-test the benchmark itself; its figures are not evidence of anything.
/// </summary>
public sealed class GeneratorBenchmarkTarget : IAsyncDisposable
{
    private readonly IDisposable? _owner;
    private readonly IAsyncDisposable? _broker;

    private GeneratorBenchmarkTarget(string bootstrapServers, string description, IDisposable? owner, bool autoCreatesTopics = false, IAsyncDisposable? broker = null)
    {
        _broker = broker;
        BootstrapServers = bootstrapServers;
        AutoCreatesTopics = autoCreatesTopics;
        Description = description;
        _owner = owner;
    }

    /// <summary>Where to connect.</summary>
    public string BootstrapServers { get; }

    /// <summary>True when the target creates topics on first use (the mock), so the benchmark need not.</summary>
    public bool AutoCreatesTopics { get; }

    /// <summary>What the target is, for the printed report.</summary>
    public string Description { get; }

    /// <summary>Chooses the target from <paramref name="args"/>; null (after printing why) when none is usable.</summary>
    public static async Task<GeneratorBenchmarkTarget?> StartAsync(string[] args, string topic, int partitions, CancellationToken cancellationToken)
    {
        var at = Array.IndexOf(args, "--bootstrap-servers");
        if (at >= 0 && at + 1 < args.Length)
        {
            return new(args[at + 1], $"broker at {args[at + 1]}", null);
        }
        if (args.Contains("--mock"))
        {
            // The mock broker lives as long as the client that created it.
            var config = new ProducerConfig { BootstrapServers = "", };
            config.Set("test.mock.num.brokers", "1");
            var owner = new ProducerBuilder<byte[], byte[]>(config).Build();
            using var admin = new DependentAdminClientBuilder(owner.Handle).Build();
            var broker = admin.GetMetadata(TimeSpan.FromSeconds(5)).Brokers[0];
            return new($"{broker.Host}:{broker.Port}", "librdkafka mock cluster (smoke test only)", owner, autoCreatesTopics: true);
        }
        var embedded = await StreamingPipeline.Broker.EmbeddedBroker.CreateBuilder()
            .WithTopic(topic, partitions: partitions)
            .StartAsync(cancellationToken);
        return new(embedded.BootstrapServers, $"embedded broker at {embedded.BootstrapServers}", null, autoCreatesTopics: true, broker: embedded);
    }

    /// <summary>Stops what <see cref="StartAsync"/> started.</summary>
    public async ValueTask DisposeAsync()
    {
        _owner?.Dispose();
        if (_broker is not null)
        {
            await _broker.DisposeAsync();
        }
    }
}
