using StreamingPipeline.Broker.Network;
using StreamingPipeline.Protocol;

namespace StreamingPipeline.Broker.Apis;

/// <summary>Base for handlers: decodes the typed request so each handler only deals with messages.</summary>
internal abstract class ApiHandler<TRequest, TResponse> : IApiHandler
    where TRequest : IApiMessage<TRequest>
    where TResponse : class, IApiMessage<TResponse>
{
    /// <inheritdoc/>
    public ApiKey ApiKey => TRequest.ApiKey;

    /// <inheritdoc/>
    public abstract short MinVersion { get; }

    /// <inheritdoc/>
    public abstract short MaxVersion { get; }

    /// <inheritdoc/>
    public async ValueTask<IKafkaMessage?> HandleAsync(RequestContext context, ProtocolReader body, CancellationToken cancellationToken)
    {
        var request = TRequest.Read(body, context.ApiVersion);
        return await HandleAsync(context, request, cancellationToken);
    }

    /// <summary>Serves a decoded request.</summary>
    protected abstract ValueTask<TResponse?> HandleAsync(RequestContext context, TRequest request, CancellationToken cancellationToken);
}
