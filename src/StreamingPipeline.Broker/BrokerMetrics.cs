using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using StreamingPipeline.Metering;
using StreamingPipeline.Protocol;

namespace StreamingPipeline.Broker;

/// <summary>
/// Live counters of the broker's network layer, safe to read from any thread: requests by API and error code, request
/// latency per API, bytes in and out, connections. Updated with <see cref="Interlocked"/> on each request; the metrics
/// endpoint reads them at scrape time (docs/metrics.md).
/// </summary>
public sealed class BrokerMetrics
{
    private readonly ConcurrentDictionary<int, StrongBox<long>> _requests = new();
    private readonly ConcurrentDictionary<ApiKey, LatencyHistogram> _latencies = new();
    private long _bytesIn;
    private long _bytesOut;
    private long _connections;
    private long _accepted;

    /// <summary>Bytes of request frames received (size prefix included).</summary>
    public long BytesIn => Interlocked.Read(ref _bytesIn);

    /// <summary>Bytes of response frames sent (size prefix included).</summary>
    public long BytesOut => Interlocked.Read(ref _bytesOut);

    /// <summary>Client connections open now.</summary>
    public long Connections => Interlocked.Read(ref _connections);

    /// <summary>Client connections accepted since the start.</summary>
    public long ConnectionsAccepted => Interlocked.Read(ref _accepted);

    /// <summary>Requests served so far by API and the error code of their response (0 = none).</summary>
    public IReadOnlyList<(ApiKey Api, short ErrorCode, long Count)> Requests =>
        [.. _requests.Select(e => ((ApiKey)(e.Key >> 16), (short)(e.Key & 0xFFFF), Interlocked.Read(ref e.Value.Value))).OrderBy(r => r.Item1).ThenBy(r => r.Item2)];

    /// <summary>The latency of each API served so far: from the request read to its response written.</summary>
    public IReadOnlyList<(ApiKey Api, LatencyHistogram Latency)> RequestLatencies =>
        [.. _latencies.Select(e => (e.Key, e.Value)).OrderBy(e => e.Key)];

    internal void ConnectionOpened()
    {
        Interlocked.Increment(ref _connections);
        Interlocked.Increment(ref _accepted);
    }

    internal void ConnectionClosed() => Interlocked.Decrement(ref _connections);

    internal void AddBytesIn(long bytes) => Interlocked.Add(ref _bytesIn, bytes);

    internal void AddBytesOut(long bytes) => Interlocked.Add(ref _bytesOut, bytes);

    internal void RequestServed(ApiKey api, short errorCode, TimeSpan elapsed)
    {
        var counter = _requests.GetOrAdd(((int)api << 16) | (ushort)errorCode, static _ => new StrongBox<long>());
        Interlocked.Increment(ref counter.Value);
        _latencies.GetOrAdd(api, static _ => new LatencyHistogram()).Record(elapsed);
    }
}
