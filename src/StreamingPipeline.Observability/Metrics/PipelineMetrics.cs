using System.Collections.Concurrent;
using System.Text;
using Prometheus;
using StreamingPipeline.Analytics.Ingestion;
using StreamingPipeline.Events.Producing;
using StreamingPipeline.Processing;

namespace StreamingPipeline.Observability.Metrics;

/// <summary>
/// The metrics and health of the components running in this process. Components keep their own lock-free counters
/// (<see cref="ProcessingMetrics"/>, <see cref="IngestMetrics"/>, ...); this registry reads them only when /metrics is
/// scraped and writes Prometheus text with prometheus-net. /healthz and /readyz answer from the components' statuses and
/// readiness checks (<see cref="MetricsEndpoints"/>, docs/metrics.md).
/// </summary>
public sealed class PipelineMetrics
{
    private readonly CollectorRegistry _registry = Prometheus.Metrics.NewCustomRegistry();
    private readonly MetricFactory _factory;
    private readonly Gauge _componentUp;
    private readonly ConcurrentDictionary<string, Component> _components = new(StringComparer.Ordinal);
    private readonly List<Action> _collectors = [];

    /// <summary>An empty registry: no component yet.</summary>
    public PipelineMetrics()
    {
        _factory = Prometheus.Metrics.WithCustomRegistry(_registry);
        _componentUp = _factory.CreateGauge("pipeline_component_up", "1 while the component runs in this process, 0 when it is starting, stopped or failed.", "component");
        _registry.AddBeforeCollectCallback(Collect);
    }

    /// <summary>Registers a job instance (<c>dedup</c>, <c>forward</c>); ready once it has partitions assigned and restored.</summary>
    public void AddProcessor(string component, string job, ProcessingMetrics metrics)
    {
        var collector = new ProcessingCollector(_factory, job, metrics);
        Add(component, collector.Update, () => metrics.AssignedPartitions > 0 ? null : "no partitions assigned and restored yet");
    }

    /// <summary>Registers the ingester; ready once it has partitions and has caught up with them once.</summary>
    public void AddIngester(IngestMetrics metrics)
    {
        var collector = new IngestCollector(_factory, metrics);
        Add(ComponentNames.Ingest, collector.Update, () =>
            metrics.AssignedPartitions == 0 ? "no partitions assigned yet" : metrics.CaughtUpOnce ? null : "not caught up with its partitions yet");
    }

    /// <summary>Registers the event generator (sending at <paramref name="targetRate"/> per second, 0 = as fast as it can); ready while it runs.</summary>
    public void AddGenerator(EventProducer producer, double targetRate)
    {
        var collector = new GeneratorCollector(_factory, producer, targetRate);
        Add(ComponentNames.Generator, collector.Update, () => null);
    }

    /// <summary>
    /// Registers a component with no metrics of its own here (the query API), or one whose collector is added with
    /// <paramref name="collect"/>; <paramref name="notReadyReason"/> answers null when ready.
    /// </summary>
    public void Add(string component, Action? collect, Func<string?> notReadyReason)
    {
        ArgumentException.ThrowIfNullOrEmpty(component);
        if (!_components.TryAdd(component, new Component(notReadyReason)))
        {
            throw new InvalidOperationException($"component '{component}' is already registered");
        }
        if (collect is not null)
        {
            lock (_collectors)
            {
                _collectors.Add(collect);
            }
        }
        _componentUp.WithLabels(component).Set(0);
    }

    /// <summary>Records where <paramref name="component"/> is (it must be registered).</summary>
    public void SetStatus(string component, ComponentStatus status)
    {
        if (!_components.TryGetValue(component, out var entry))
        {
            throw new InvalidOperationException($"component '{component}' is not registered");
        }
        entry.Status = status;
        _componentUp.WithLabels(component).Set(status == ComponentStatus.Running ? 1 : 0);
    }

    /// <summary>The status of <paramref name="component"/>, or null when it is not registered.</summary>
    public ComponentStatus? GetStatus(string component) => _components.TryGetValue(component, out var entry) ? entry.Status : null;

    /// <summary>Writes every metric in Prometheus text format (version 0.0.4) to <paramref name="destination"/>.</summary>
    public Task WriteAsync(Stream destination, CancellationToken cancellationToken) =>
        _registry.CollectAndExportAsTextAsync(destination, cancellationToken);

    /// <summary>
    /// Liveness: healthy unless a component failed. The text lists each component's status, one per line.
    /// </summary>
    public (bool Healthy, string Text) CheckHealth()
    {
        var healthy = _components.Values.All(c => c.Status != ComponentStatus.Failed);
        return (healthy, Describe(healthy ? "healthy" : "unhealthy", c => c.Status.ToString().ToLowerInvariant()));
    }

    /// <summary>
    /// Readiness: every component is either running and ready, or stopped on purpose; none is starting or failed. With no
    /// component registered the process has nothing to be ready for and is ready.
    /// </summary>
    public (bool Ready, string Text) CheckReadiness()
    {
        var reasons = _components.ToDictionary(c => c.Key, c => c.Value.NotReadyReason(), StringComparer.Ordinal);
        var ready = reasons.Values.All(r => r is null);
        return (ready, Describe(ready ? "ready" : "not ready", c => c.NotReadyReason() ?? "ready"));
    }

    private string Describe(string headline, Func<Component, string> state)
    {
        var text = new StringBuilder(headline).Append('\n');
        foreach (var (name, component) in _components.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            text.Append(name).Append(": ").Append(state(component)).Append('\n');
        }
        return text.ToString();
    }

    private void Collect()
    {
        Action[] collectors;
        lock (_collectors)
        {
            collectors = [.. _collectors];
        }
        foreach (var collect in collectors)
        {
            collect();
        }
    }

    private sealed class Component(Func<string?> notReadyReason)
    {
        private int _status = (int)ComponentStatus.Starting;

        public ComponentStatus Status
        {
            get => (ComponentStatus)Volatile.Read(ref _status);
            set => Volatile.Write(ref _status, (int)value);
        }

        public string? NotReadyReason() => Status switch
        {
            ComponentStatus.Starting => "starting",
            ComponentStatus.Failed => "failed",
            ComponentStatus.Stopped => null,
            _ => notReadyReason(),
        };
    }
}
