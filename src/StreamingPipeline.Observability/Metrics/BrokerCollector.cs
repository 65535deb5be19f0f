using System.Collections.Concurrent;
using System.Globalization;
using System.Text.RegularExpressions;
using Prometheus;
using StreamingPipeline.Broker;
using StreamingPipeline.Protocol;

namespace StreamingPipeline.Observability.Metrics;

/// <summary>Publishes an <see cref="EmbeddedBroker"/>'s counters and log offsets as the <c>broker_*</c> metrics (docs/metrics.md).</summary>
internal sealed partial class BrokerCollector
{
    private static readonly ConcurrentDictionary<short, string> ErrorNames = new();
    private readonly EmbeddedBroker _broker;
    private readonly Counter _requests;
    private readonly Histogram _latency;
    private readonly Counter _bytesIn;
    private readonly Counter _bytesOut;
    private readonly Counter _accepted;
    private readonly Gauge _connections;
    private readonly Gauge _openTransactions;
    private readonly Gauge _logStart;
    private readonly Gauge _logEnd;
    private readonly Gauge _lastStable;
    private readonly Dictionary<ApiKey, HistogramBridge> _latencyBridges = [];
    private readonly HashSet<(string Topic, string Partition)> _published = [];

    public BrokerCollector(MetricFactory factory, EmbeddedBroker broker)
    {
        _broker = broker;
        _requests = factory.CreateCounter("broker_requests_total", "Requests answered, by API and the error code of the response (its top-level error, else the first failed topic or partition; NONE when all succeeded).", "api", "error_code");
        _latency = factory.CreateHistogram("broker_request_duration_seconds", "From a request read off the socket to its response written, by API (Fetch includes its wait for data).",
            new HistogramConfiguration { Buckets = [.. Metering.LatencyHistogram.DefaultBounds], LabelNames = ["api"] });
        _bytesIn = factory.CreateCounter("broker_bytes_in_total", "Bytes of request frames received.");
        _bytesOut = factory.CreateCounter("broker_bytes_out_total", "Bytes of response frames sent.");
        _accepted = factory.CreateCounter("broker_connections_accepted_total", "Client connections accepted.");
        _connections = factory.CreateGauge("broker_connections", "Client connections open now.");
        _openTransactions = factory.CreateGauge("broker_open_transactions", "Transactions open now (ongoing, or decided with markers still being written).");
        _logStart = factory.CreateGauge("broker_log_start_offset", "The first offset the partition still holds.", "topic", "partition");
        _logEnd = factory.CreateGauge("broker_log_end_offset", "The offset the next record of the partition gets (its high watermark on this single-node broker).", "topic", "partition");
        _lastStable = factory.CreateGauge("broker_last_stable_offset", "The partition's last stable offset: read_committed consumers read up to it.", "topic", "partition");
    }

    /// <summary>Copies the live counters into the metrics; called before every scrape.</summary>
    public void Update()
    {
        var metrics = _broker.Metrics;
        _bytesIn.IncTo(metrics.BytesIn);
        _bytesOut.IncTo(metrics.BytesOut);
        _accepted.IncTo(metrics.ConnectionsAccepted);
        _connections.Set(metrics.Connections);
        foreach (var (api, errorCode, count) in metrics.Requests)
        {
            _requests.WithLabels(api.ToString(), ErrorName(errorCode)).IncTo(count);
        }
        lock (_latencyBridges)
        {
            foreach (var (api, latency) in metrics.RequestLatencies)
            {
                if (!_latencyBridges.TryGetValue(api, out var bridge))
                {
                    _latencyBridges[api] = bridge = new HistogramBridge(latency, _latency.WithLabels(api.ToString()));
                }
                bridge.Update();
            }
        }
        _openTransactions.Set(_broker.OpenTransactions);
        lock (_published)
        {
            var seen = new HashSet<(string, string)>();
            foreach (var offsets in _broker.GetPartitionOffsets())
            {
                var partition = offsets.Partition.ToString(CultureInfo.InvariantCulture);
                seen.Add((offsets.Topic, partition));
                _logStart.WithLabels(offsets.Topic, partition).Set(offsets.LogStartOffset);
                _logEnd.WithLabels(offsets.Topic, partition).Set(offsets.LogEndOffset);
                _lastStable.WithLabels(offsets.Topic, partition).Set(offsets.LastStableOffset);
            }
            // A deleted topic's partitions leave the output.
            foreach (var (topic, partition) in _published.Where(p => !seen.Contains(p)).ToList())
            {
                _logStart.RemoveLabelled(topic, partition);
                _logEnd.RemoveLabelled(topic, partition);
                _lastStable.RemoveLabelled(topic, partition);
                _published.Remove((topic, partition));
            }
            _published.UnionWith(seen);
        }
    }

    /// <summary>Kafka's name of an error code (<c>NONE</c>, <c>NOT_COORDINATOR</c>), or the number when unknown.</summary>
    internal static string ErrorName(short code) => ErrorNames.GetOrAdd(code, static c =>
        Enum.IsDefined((ErrorCode)c) ? WordBoundary().Replace(((ErrorCode)c).ToString(), "_$1").ToUpperInvariant() : c.ToString(CultureInfo.InvariantCulture));

    [GeneratedRegex("(?<=[a-z0-9])([A-Z])")]
    private static partial Regex WordBoundary();
}
