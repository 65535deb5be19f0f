using StreamingPipeline.Broker.Network;
using StreamingPipeline.Protocol;
using StreamingPipeline.Protocol.Messages;

namespace StreamingPipeline.Broker.Apis;

/// <summary>
/// AlterConfigs (key 33), v0-2, the legacy non-incremental form: the configs given become the topic's whole set of
/// overrides, or the broker resource's whole set of dynamic configs (those not named return to their defaults),
/// stored durably and in effect at once; validateOnly checks without storing. Errors as
/// <see cref="IncrementalAlterConfigsHandler"/>.
/// </summary>
internal sealed class AlterConfigsHandler(BrokerState broker) : ApiHandler<AlterConfigsRequest, AlterConfigsResponse>
{
    public override short MinVersion => 0;
    public override short MaxVersion => 2;

    protected override ValueTask<AlterConfigsResponse?> HandleAsync(RequestContext context, AlterConfigsRequest request, CancellationToken cancellationToken)
    {
        var response = new AlterConfigsResponse();
        var duplicates = ConfigResourceChange.Duplicates(request.Resources.Select(r => (r.ResourceType, r.ResourceName)));
        foreach (var resource in request.Resources)
        {
            var (error, message) = duplicates.Contains((resource.ResourceType, resource.ResourceName))
                ? (ErrorCode.InvalidRequest, $"Resource '{resource.ResourceName}' is named more than once in the request.")
                : Alter(resource, request.ValidateOnly);
            response.Responses.Add(new AlterConfigsResponse.AlterConfigsResourceResponse
            {
                ResourceType = resource.ResourceType,
                ResourceName = resource.ResourceName,
                ErrorCode = (short)error,
                ErrorMessage = message,
            });
        }
        return ValueTask.FromResult<AlterConfigsResponse?>(response);
    }

    private (ErrorCode, string?) Alter(AlterConfigsRequest.AlterConfigsResource resource, bool validateOnly)
    {
        if (resource.ResourceType == ConfigResourceChange.BrokerResource)
        {
            return AlterBroker(resource, validateOnly);
        }
        var checkedResource = ConfigResourceChange.CheckResource(broker, resource.ResourceType, resource.ResourceName, out _);
        if (checkedResource.Error != ErrorCode.None)
        {
            return checkedResource;
        }
        if (resource.Configs.GroupBy(c => c.Name).Any(g => g.Count() > 1))
        {
            return (ErrorCode.InvalidRequest, "Error due to duplicate config keys");
        }
        var overrides = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var config in resource.Configs)
        {
            var named = ConfigResourceChange.CheckName(config.Name);
            if (named.Error != ErrorCode.None)
            {
                return named;
            }
            if (config.Value is null)
            {
                return (ErrorCode.InvalidConfig, $"Null value not supported for: {config.Name}");
            }
            overrides[config.Name] = config.Value;
        }
        return ConfigResourceChange.Apply(broker, resource.ResourceName, overrides, validateOnly);
    }

    private (ErrorCode, string?) AlterBroker(AlterConfigsRequest.AlterConfigsResource resource, bool validateOnly)
    {
        var checkedBroker = ConfigResourceChange.CheckBroker(broker, resource.ResourceName, out var perBroker);
        if (checkedBroker.Error != ErrorCode.None)
        {
            return checkedBroker;
        }
        if (resource.Configs.GroupBy(c => c.Name).Any(g => g.Count() > 1))
        {
            return (ErrorCode.InvalidRequest, "Error due to duplicate config keys");
        }
        var layer = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var config in resource.Configs)
        {
            if (config.Value is null)
            {
                return (ErrorCode.InvalidRequest, $"Null value not supported for: {config.Name}");
            }
            layer[config.Name] = config.Value;
        }
        return broker.DynamicConfigs.Replace(perBroker, layer, validateOnly);
    }
}
