using StreamingPipeline.Broker.Network;
using StreamingPipeline.Protocol;
using StreamingPipeline.Protocol.Messages;

namespace StreamingPipeline.Broker.Apis;

/// <summary>
/// IncrementalAlterConfigs (key 44), v0-1, for topics and brokers: SET (0) and DELETE (1) of any topic config or
/// dynamic broker config, APPEND (2) and SUBTRACT (3) of list configs (cleanup.policy, log.cleanup.policy). Changes
/// are validated as a whole, stored durably (the topic's metadata file, or <see cref="DynamicBrokerConfigs"/> for the
/// BROKER resource named by this broker's id or "" for the cluster-wide default) and take effect at once; validateOnly
/// checks without storing. For a topic an unknown name or a bad value is INVALID_CONFIG and an unknown topic
/// UNKNOWN_TOPIC_OR_PARTITION; for a broker a read-only or unknown name, a bad value or another broker's id is
/// INVALID_REQUEST, as Kafka answers (KAFKA-13609); a resource or key named twice is INVALID_REQUEST.
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
        if (resource.ResourceType == ConfigResourceChange.BrokerResource)
        {
            return AlterBroker(resource, validateOnly);
        }
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

    private (ErrorCode, string?) AlterBroker(IncrementalAlterConfigsRequest.AlterConfigsResource resource, bool validateOnly)
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
        var named = DynamicBrokerConfigs.CheckNames(resource.Configs.Select(c => c.Name));
        if (named.Error != ErrorCode.None)
        {
            return named;
        }
        var layer = new Dictionary<string, string>(broker.DynamicConfigs.Layer(perBroker), StringComparer.Ordinal);
        foreach (var config in resource.Configs)
        {
            switch (config.ConfigOperation)
            {
                case Set when config.Value is null:
                    return (ErrorCode.InvalidRequest, $"Null value not supported for: {config.Name}");
                case Set:
                    layer[config.Name] = config.Value;
                    break;
                case Delete:
                    layer.Remove(config.Name);
                    break;
                case Append or Subtract when Log.TopicConfigCatalog.TopicName(config.Name) != Log.LogConfig.CleanupPolicyName:
                    return (ErrorCode.InvalidConfig, $"Config value append/subtract is not allowed for config key: {config.Name}");
                case Append or Subtract:
                    var current = layer.GetValueOrDefault(config.Name) ?? broker.DynamicConfigs.Current.LogDefaults.CleanupPolicy;
                    layer[config.Name] = ChangeList(current, config.Value, config.ConfigOperation == Append);
                    break;
                default:
                    return (ErrorCode.InvalidRequest, $"Unknown config operation {config.ConfigOperation} for {config.Name}.");
            }
        }
        return broker.DynamicConfigs.Replace(perBroker, layer, validateOnly);
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
