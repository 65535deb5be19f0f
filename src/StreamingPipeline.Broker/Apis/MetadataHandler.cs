using StreamingPipeline.Broker.Log;
using StreamingPipeline.Broker.Network;
using StreamingPipeline.Protocol;
using StreamingPipeline.Protocol.Messages;

namespace StreamingPipeline.Broker.Apis;

/// <summary>
/// Metadata (key 3), v0-12. One broker leads every partition. Unknown topics are created when the broker allows it and
/// the request asks for it (v4+; always asked before v4), with the default partition count; otherwise
/// UNKNOWN_TOPIC_OR_PARTITION. A null topic list (v1+) or an empty one in v0 means all topics.
/// </summary>
internal sealed class MetadataHandler(BrokerState broker) : ApiHandler<MetadataRequest, MetadataResponse>
{
    private const int AuthorizedOperationsOmitted = int.MinValue;

    public override short MinVersion => 0;
    public override short MaxVersion => 12;

    protected override ValueTask<MetadataResponse?> HandleAsync(RequestContext context, MetadataRequest request, CancellationToken cancellationToken)
    {
        var response = new MetadataResponse
        {
            Brokers = [new MetadataResponse.MetadataResponseBroker { NodeId = broker.NodeId, Host = broker.AdvertisedHost, Port = broker.Port }],
            ClusterId = broker.ClusterId,
            ControllerId = broker.NodeId,
            ClusterAuthorizedOperations = AuthorizedOperationsOmitted,
        };
        var allTopics = request.Topics is null || (context.ApiVersion == 0 && request.Topics.Count == 0);
        if (allTopics)
        {
            foreach (var topic in broker.Logs.Topics.OrderBy(t => t.Name, StringComparer.Ordinal))
            {
                response.Topics.Add(Describe(topic));
            }
            return ValueTask.FromResult<MetadataResponse?>(response);
        }
        var autoCreate = broker.Options.AutoCreateTopics && (context.ApiVersion < 4 || request.AllowAutoTopicCreation);
        foreach (var requested in request.Topics!)
        {
            var topic = requested.Name is not null ? broker.Logs.GetTopic(requested.Name) : broker.Logs.GetTopic(requested.TopicId);
            if (topic is null && autoCreate && requested.Name is not null)
            {
                var created = broker.Logs.CreateTopic(requested.Name, broker.Options.DefaultPartitions, new Dictionary<string, string>(), validateOnly: false);
                topic = created.Error is ErrorCode.None or ErrorCode.TopicAlreadyExists ? broker.Logs.GetTopic(requested.Name) : null;
                if (topic is null)
                {
                    response.Topics.Add(Missing(requested, created.Error));
                    continue;
                }
            }
            response.Topics.Add(topic is null ? Missing(requested, ErrorCode.UnknownTopicOrPartition) : Describe(topic));
        }
        return ValueTask.FromResult<MetadataResponse?>(response);
    }

    private static MetadataResponse.MetadataResponseTopic Missing(MetadataRequest.MetadataRequestTopic requested, ErrorCode error) => new()
    {
        ErrorCode = (short)error,
        Name = requested.Name,
        TopicId = requested.TopicId,
        TopicAuthorizedOperations = AuthorizedOperationsOmitted,
    };

    private MetadataResponse.MetadataResponseTopic Describe(TopicInfo topic)
    {
        var result = new MetadataResponse.MetadataResponseTopic
        {
            Name = topic.Name,
            TopicId = topic.TopicId,
            IsInternal = false,
            TopicAuthorizedOperations = AuthorizedOperationsOmitted,
        };
        for (var p = 0; p < topic.PartitionCount; p++)
        {
            result.Partitions.Add(new MetadataResponse.MetadataResponsePartition
            {
                PartitionIndex = p,
                LeaderId = broker.NodeId,
                LeaderEpoch = 0,
                ReplicaNodes = [broker.NodeId],
                IsrNodes = [broker.NodeId],
            });
        }
        return result;
    }
}
