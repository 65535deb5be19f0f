using System.Net;
using StreamingPipeline.Protocol;

namespace StreamingPipeline.Broker.Network;

/// <summary>What a handler knows about the request it is serving: its header and the connection it came on.</summary>
internal sealed class RequestContext
{
    private List<IDisposable>? _responseResources;

    internal RequestContext(ApiKey apiKey, short apiVersion, int correlationId, string? clientId, EndPoint? remote)
    {
        ApiKey = apiKey;
        ApiVersion = apiVersion;
        CorrelationId = correlationId;
        ClientId = clientId;
        RemoteEndPoint = remote;
    }

    public ApiKey ApiKey { get; }
    public short ApiVersion { get; }
    public int CorrelationId { get; }
    public string? ClientId { get; }
    public EndPoint? RemoteEndPoint { get; }

    /// <summary>The client's host as Kafka reports it in group descriptions (<c>/127.0.0.1</c>).</summary>
    public string ClientHost => RemoteEndPoint is IPEndPoint ip ? "/" + ip.Address : "";

    /// <summary>
    /// Keeps <paramref name="resource"/> (e.g. a pooled buffer that the response's records point into) alive until
    /// the response has been written, then disposes it.
    /// </summary>
    public void DisposeAfterResponse(IDisposable resource) => (_responseResources ??= []).Add(resource);

    internal void ReleaseResponseResources()
    {
        if (_responseResources is null)
        {
            return;
        }
        foreach (var resource in _responseResources)
        {
            resource.Dispose();
        }
        _responseResources.Clear();
    }
}
