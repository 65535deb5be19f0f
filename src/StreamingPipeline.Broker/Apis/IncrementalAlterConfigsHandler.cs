using StreamingPipeline.Broker.Network;
using StreamingPipeline.Protocol;
using StreamingPipeline.Protocol.Messages;

namespace StreamingPipeline.Broker.Apis;

/// <summary>
/// IncrementalAlterConfigs (key 44), v0-1, for topics: SET (0) and DELETE (1) of any topic config, APPEND (2) and
/// SUBTRACT (3) of list configs (cleanup.policy). Changes are validated as a whole, stored durably in the topic's
/// metadata file and take effect at once; validateOnly checks without storing. An unknown name or a bad value is
/// INVALID_CONFIG, an unknown topic UNKNOWN_TOPIC_OR_PARTITION, a resource or key named twice INVALID_REQUEST, a
/// broker resource INVALID_REQUEST (broker settings are static here).
/// </summary>
internal sealed class IncrementalAlterConfigsHandler(BrokerState broker) : ApiHandler<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse>
{
    private const sbyte Set = 0;
    private const sbyte Delete = 1;
    private const sbyte Append = 2;
    private const sbyte Subtract = 3;

    public override short MinVersion => 0;
    public override short MaxVersion => 1;

    protected override ValueTask<IncrementalAlterConfigsResponse?> HandleAsync(RequestContext context, IncrementalAlterConfigsRequest request, CancellationToken cancellationToken)
    {
        var response = new IncrementalAlterConfigsResponse();
        var duplicates = ConfigResourceChange.Duplicates(request.Resources.Select(r => (r.ResourceType, r.ResourceName)));
        foreach (var resource in request.Resources)
        {
            var (error, message) = duplicates.Contains((resource.ResourceType, resource.ResourceName))
                ? (ErrorCode.InvalidRequest, $"Resource '{resource.ResourceName}' is named more than once in the request.")
                : Alter(resource, request.ValidateOnly);
            response.Responses.Add(new IncrementalAlterConfigsResponse.AlterConfigsResourceResponse
            {
                ResourceType = resource.ResourceType,
                ResourceName = resource.ResourceName,
                ErrorCode = (short)error,
                ErrorMessage = message,
            });
        }
        return ValueTask.FromResult<IncrementalAlterConfigsResponse?>(response);
    }

    private (ErrorCode, string?) Alter(IncrementalAlterConfigsRequest.AlterConfigsResource resource, bool validateOnly)
    {
        var checkedResource = ConfigResourceChange.CheckResource(broker, resource.ResourceType, resource.ResourceName, out var topic);
        if (checkedResource.Error != ErrorCode.None)
        {
            return checkedResource;
        }
        if (resource.Configs.GroupBy(c => c.Name).Any(g => g.Count() > 1))
        {
            return (ErrorCode.InvalidRequest, "Error due to duplicate config keys");
        }
        var overrides = new Dictionary<string, string>(topic!.ConfigOverrides, StringComparer.Ordinal);
        foreach (var config in resource.Configs)
        {
            var named = ConfigResourceChange.CheckName(config.Name);
            if (named.Error != ErrorCode.None)
            {
                return named;
            }
            switch (config.ConfigOperation)
            {
                case Set when config.Value is null:
                    return (ErrorCode.InvalidConfig, $"Null value not supported for: {config.Name}");
                case Set:
                    overrides[config.Name] = config.Value;
                    break;
                case Delete:
                    overrides.Remove(config.Name);
                    break;
                case Append or Subtract when config.Name != Log.LogConfig.CleanupPolicyName:
                    return (ErrorCode.InvalidConfig, $"Config value append/subtract is not allowed for config key: {config.Name}");
                case Append or Subtract:
                    overrides[config.Name] = ChangeList(topic.Config.CleanupPolicy, config.Value, config.ConfigOperation == Append);
                    break;
                default:
                    return (ErrorCode.InvalidRequest, $"Unknown config operation {config.ConfigOperation} for {config.Name}.");
            }
        }
        return ConfigResourceChange.Apply(broker, resource.ResourceName, overrides, validateOnly);
    }

    /// <summary>The comma-separated list <paramref name="current"/> with <paramref name="values"/> added or removed, as Kafka does.</summary>
    private static string ChangeList(string current, string? values, bool add)
    {
        var items = current.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        foreach (var value in (values ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (add && !items.Contains(value))
            {
                items.Add(value);
            }
            else if (!add)
            {
                items.Remove(value);
            }
        }
        return string.Join(',', items);
    }
}
