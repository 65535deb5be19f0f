using System.Globalization;
using StreamingPipeline.Broker.Network;
using StreamingPipeline.Protocol;
using StreamingPipeline.Protocol.Messages;

namespace StreamingPipeline.Broker.Apis;

/// <summary>
/// DescribeConfigs (key 32), v0-4. Topics (resource type 2) report every log setting with its source (topic override
/// or default); the broker (type 4) reports the settings that shape client behaviour. Other resource types get
/// INVALID_REQUEST.
/// </summary>
internal sealed class DescribeConfigsHandler(BrokerState broker) : ApiHandler<DescribeConfigsRequest, DescribeConfigsResponse>
{
    private const sbyte TopicResource = 2;
    private const sbyte BrokerResource = 4;
    private const sbyte DynamicTopicConfig = 1;
    private const sbyte StaticBrokerConfig = 4;
    private const sbyte DefaultConfig = 5;

    public override short MinVersion => 0;
    public override short MaxVersion => 4;

    protected override ValueTask<DescribeConfigsResponse?> HandleAsync(RequestContext context, DescribeConfigsRequest request, CancellationToken cancellationToken)
    {
        var response = new DescribeConfigsResponse();
        foreach (var resource in request.Resources)
        {
            var result = new DescribeConfigsResponse.DescribeConfigsResult { ResourceType = resource.ResourceType, ResourceName = resource.ResourceName };
            response.Results.Add(result);
            IEnumerable<(string Name, string Value, sbyte Source)> entries;
            switch (resource.ResourceType)
            {
                case TopicResource when broker.Logs.GetTopic(resource.ResourceName) is { } topic:
                    entries = topic.Config.Describe(topic.ConfigOverrides).Select(c => (c.Name, c.Value, c.IsDefault ? DefaultConfig : DynamicTopicConfig));
                    break;
                case TopicResource:
                    result.ErrorCode = (short)ErrorCode.UnknownTopicOrPartition;
                    result.ErrorMessage = $"Topic {resource.ResourceName} does not exist.";
                    continue;
                case BrokerResource when resource.ResourceName == broker.NodeId.ToString(CultureInfo.InvariantCulture) || resource.ResourceName.Length == 0:
                    entries = BrokerConfigs();
                    break;
                default:
                    result.ErrorCode = (short)ErrorCode.InvalidRequest;
                    result.ErrorMessage = $"Resource type {resource.ResourceType} '{resource.ResourceName}' is not described by this broker.";
                    continue;
            }
            var keys = resource.ConfigurationKeys?.ToHashSet(StringComparer.Ordinal);
            foreach (var (name, value, source) in entries.Where(e => keys is null || keys.Contains(e.Name)))
            {
                result.Configs.Add(new DescribeConfigsResponse.DescribeConfigsResourceResult
                {
                    Name = name,
                    Value = value,
                    ConfigSource = source,
                    IsDefault = source == DefaultConfig,
                    ReadOnly = resource.ResourceType == BrokerResource,
                });
            }
        }
        return ValueTask.FromResult<DescribeConfigsResponse?>(response);
    }

    private IEnumerable<(string, string, sbyte)> BrokerConfigs()
    {
        var options = broker.Options;
        yield return ("broker.id", options.NodeId.ToString(CultureInfo.InvariantCulture), StaticBrokerConfig);
        yield return ("num.partitions", options.DefaultPartitions.ToString(CultureInfo.InvariantCulture), StaticBrokerConfig);
        yield return ("auto.create.topics.enable", options.AutoCreateTopics ? "true" : "false", StaticBrokerConfig);
        yield return ("socket.request.max.bytes", options.MaxRequestBytes.ToString(CultureInfo.InvariantCulture), StaticBrokerConfig);
        yield return ("log.dirs", options.DataDirectory, StaticBrokerConfig);
        yield return ("group.initial.rebalance.delay.ms", ((long)options.GroupInitialRebalanceDelay.TotalMilliseconds).ToString(CultureInfo.InvariantCulture), StaticBrokerConfig);
    }
}
