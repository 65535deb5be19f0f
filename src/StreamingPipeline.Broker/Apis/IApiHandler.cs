using StreamingPipeline.Broker.Network;
using StreamingPipeline.Protocol;

namespace StreamingPipeline.Broker.Apis;

/// <summary>Serves one Kafka API over the version range it declares; ApiVersions is built from these declarations.</summary>
internal interface IApiHandler
{
    /// <summary>The API this handler serves.</summary>
    ApiKey ApiKey { get; }

    /// <summary>The lowest version served.</summary>
    short MinVersion { get; }

    /// <summary>The highest version served.</summary>
    short MaxVersion { get; }

    /// <summary>Reads the request body, serves it and returns the response, or null when no response is sent (acks=0).</summary>
    ValueTask<IKafkaMessage?> HandleAsync(RequestContext context, ProtocolReader body, CancellationToken cancellationToken);
}
