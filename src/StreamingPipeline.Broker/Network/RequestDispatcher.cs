using StreamingPipeline.Broker.Apis;
using StreamingPipeline.Protocol;
using StreamingPipeline.Protocol.Messages;

namespace StreamingPipeline.Broker.Network;

/// <summary>Finds the handler for an API key; the advertised API versions are exactly the registered handlers' ranges.</summary>
internal sealed class RequestDispatcher
{
    private readonly IApiHandler?[] _handlers = new IApiHandler?[short.MaxValue + 1];

    /// <summary>Registers every handler; one per API key.</summary>
    public RequestDispatcher(IEnumerable<IApiHandler> handlers)
    {
        foreach (var handler in handlers)
        {
            if (_handlers[(int)handler.ApiKey] is not null)
            {
                throw new ArgumentException($"Two handlers for {handler.ApiKey}.", nameof(handlers));
            }
            _handlers[(int)handler.ApiKey] = handler;
        }
        Handlers = _handlers.OfType<IApiHandler>().OrderBy(h => h.ApiKey).ToArray();
    }

    /// <summary>The registered handlers, by API key.</summary>
    public IReadOnlyList<IApiHandler> Handlers { get; }

    /// <summary>The handler for <paramref name="key"/>, or null when the API is not served.</summary>
    public IApiHandler? Find(ApiKey key) => (int)key >= 0 && (int)key < _handlers.Length ? _handlers[(int)key] : null;

    /// <summary>The advertised API version list.</summary>
    public List<ApiVersionsResponse.ApiVersion> ApiVersionList() =>
        Handlers.Select(h => new ApiVersionsResponse.ApiVersion { ApiKey = (short)h.ApiKey, MinVersion = h.MinVersion, MaxVersion = h.MaxVersion }).ToList();

    /// <summary>The v0 answer to an ApiVersions request of a version this broker does not serve.</summary>
    public ApiVersionsResponse UnsupportedApiVersionsResponse() =>
        new() { ErrorCode = (short)ErrorCode.UnsupportedVersion, ApiKeys = ApiVersionList() };
}
