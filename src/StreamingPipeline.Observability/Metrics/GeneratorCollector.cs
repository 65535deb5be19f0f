using Prometheus;
using StreamingPipeline.Events.Producing;

namespace StreamingPipeline.Observability.Metrics;

/// <summary>Publishes an <see cref="EventProducer"/>'s progress as the <c>generator_*</c> metrics (docs/metrics.md).</summary>
internal sealed class GeneratorCollector
{
    private readonly EventProducer _source;
    private readonly Counter _sent;
    private readonly Counter _acknowledged;
    private readonly Counter _errors;
    private readonly Counter _failed;
    private readonly Counter _clientErrors;
    private readonly Gauge _inFlight;
    private readonly Gauge _rate;

    public GeneratorCollector(MetricFactory factory, EventProducer source, double targetRate)
    {
        _source = source;
        _sent = factory.CreateCounter("generator_records_sent_total", "Records handed to the Kafka producer.");
        _acknowledged = factory.CreateCounter("generator_records_acknowledged_total", "Records the broker acknowledged.");
        _errors = factory.CreateCounter("generator_errors_total", "Failed deliveries plus client-level errors (connection problems the client retries).");
        _failed = factory.CreateCounter("generator_delivery_failures_total", "Records whose delivery failed for good.");
        _clientErrors = factory.CreateCounter("generator_client_errors_total", "Client-level errors reported by the producer (it retries them).");
        _inFlight = factory.CreateGauge("generator_records_in_flight", "Records sent and not yet acknowledged or failed.");
        _rate = factory.CreateGauge("generator_send_rate_records_per_second", "Records sent per second, averaged over the run.");
        if (targetRate > 0)
        {
            factory.CreateGauge("generator_target_rate_records_per_second", "The rate the generator was asked for.").Set(targetRate);
        }
    }

    /// <summary>Copies the live counters into the metrics; called before every scrape.</summary>
    public void Update()
    {
        var progress = _source.Progress;
        _sent.IncTo(progress.Sent);
        _acknowledged.IncTo(progress.Acknowledged);
        _failed.IncTo(progress.Failed);
        _clientErrors.IncTo(progress.BrokerErrors);
        _errors.IncTo(progress.Failed + progress.BrokerErrors);
        _inFlight.Set(progress.InFlight);
        _rate.Set(progress.Elapsed > TimeSpan.Zero ? progress.Sent / progress.Elapsed.TotalSeconds : 0);
    }
}
