using StreamingPipeline.Broker.Network;
using StreamingPipeline.Protocol;
using StreamingPipeline.Protocol.Messages;

namespace StreamingPipeline.Broker.Apis;

/// <summary>
/// CreateTopics (key 19), v0-7. NumPartitions and ReplicationFactor of -1 (v4+) take the broker defaults; a
/// replication factor above 1 is INVALID_REPLICATION_FACTOR on a single node; manual assignments may only name this
/// broker. A topic named twice in one request is INVALID_REQUEST. validateOnly checks without creating.
/// </summary>
internal sealed class CreateTopicsHandler(BrokerState broker) : ApiHandler<CreateTopicsRequest, CreateTopicsResponse>
{
    private const sbyte DynamicTopicConfig = 1;
    private const sbyte DefaultConfig = 5;

    public override short MinVersion => 0;
    public override short MaxVersion => 7;

    protected override ValueTask<CreateTopicsResponse?> HandleAsync(RequestContext context, CreateTopicsRequest request, CancellationToken cancellationToken)
    {
        var response = new CreateTopicsResponse();
        var duplicates = request.Topics.GroupBy(t => t.Name).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet();
        foreach (var topic in request.Topics)
        {
            response.Topics.Add(duplicates.Contains(topic.Name)
                ? Failed(topic.Name, ErrorCode.InvalidRequest, "Topic is named more than once in the request.")
                : Create(topic, request.validateOnly));
        }
        return ValueTask.FromResult<CreateTopicsResponse?>(response);
    }

    private CreateTopicsResponse.CreatableTopicResult Create(CreateTopicsRequest.CreatableTopic topic, bool validateOnly)
    {
        if (topic.ReplicationFactor is not (-1 or 1))
        {
            return Failed(topic.Name, ErrorCode.InvalidReplicationFactor, $"Replication factor: {topic.ReplicationFactor} larger than available brokers: 1.");
        }
        if (topic.Assignments.Count > 0 && (topic.NumPartitions != -1 || topic.Assignments.Any(a => a.BrokerIds.Any(id => id != broker.NodeId))))
        {
            return Failed(topic.Name, ErrorCode.InvalidReplicaAssignment, $"Assignments may only name broker {broker.NodeId} and exclude numPartitions.");
        }
        var partitions = topic.Assignments.Count > 0 ? topic.Assignments.Count : topic.NumPartitions == -1 ? broker.Options.DefaultPartitions : topic.NumPartitions;
        var configs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var config in topic.Configs)
        {
            if (config.Value is not null)
            {
                configs[config.Name] = config.Value;
            }
        }
        var result = broker.Logs.CreateTopic(topic.Name, partitions, configs, validateOnly);
        if (result.Error != ErrorCode.None)
        {
            return Failed(topic.Name, result.Error, result.ErrorMessage);
        }
        var created = validateOnly ? null : broker.Logs.GetTopic(topic.Name);
        var logConfig = created?.Config ?? broker.Options.LogDefaults;
        return new CreateTopicsResponse.CreatableTopicResult
        {
            Name = topic.Name,
            TopicId = created?.TopicId ?? Guid.Empty,
            NumPartitions = partitions,
            ReplicationFactor = 1,
            Configs = logConfig.Describe(configs).Select(c => new CreateTopicsResponse.CreatableTopicConfigs
            {
                Name = c.Name,
                Value = c.Value,
                ConfigSource = c.IsDefault ? DefaultConfig : DynamicTopicConfig,
            }).ToList(),
        };
    }

    private static CreateTopicsResponse.CreatableTopicResult Failed(string name, ErrorCode error, string? message) => new()
    {
        Name = name,
        ErrorCode = (short)error,
        ErrorMessage = message,
        NumPartitions = -1,
        ReplicationFactor = -1,
        Configs = null,
    };
}
