using StreamingPipeline.Broker.Log;
using StreamingPipeline.Broker.Network;
using StreamingPipeline.Protocol;
using StreamingPipeline.Protocol.Messages;

namespace StreamingPipeline.Broker.Apis;

/// <summary>
/// OffsetDelete (key 47), v0 (KIP-496): deletes a group's committed offsets for the given partitions, durably before
/// answering. Partitions of topics the group's members subscribe to get GROUP_SUBSCRIBED_TO_TOPIC, partitions that do
/// not exist UNKNOWN_TOPIC_OR_PARTITION; an unknown group is GROUP_ID_NOT_FOUND at the top level.
/// </summary>
internal sealed class OffsetDeleteHandler(BrokerState broker) : ApiHandler<OffsetDeleteRequest, OffsetDeleteResponse>
{
    public override short MinVersion => 0;
    public override short MaxVersion => 0;

    protected override async ValueTask<OffsetDeleteResponse?> HandleAsync(RequestContext context, OffsetDeleteRequest request, CancellationToken cancellationToken)
    {
        var requested = request.Topics.SelectMany(t => t.Partitions.Select(p => new TopicPartition(t.Name, p.PartitionIndex))).ToList();
        var existing = requested.Where(p => broker.Logs.GetPartition(p.Topic, p.Partition) is not null).ToList();
        var (error, errors) = await broker.Groups.DeleteOffsetsAsync(request.GroupId, existing, cancellationToken);
        var response = new OffsetDeleteResponse { ErrorCode = (short)error };
        if (error != ErrorCode.None)
        {
            return response;
        }
        foreach (var topic in request.Topics)
        {
            response.Topics.Add(new OffsetDeleteResponse.OffsetDeleteResponseTopic
            {
                Name = topic.Name,
                Partitions = topic.Partitions.Select(p => new OffsetDeleteResponse.OffsetDeleteResponsePartition
                {
                    PartitionIndex = p.PartitionIndex,
                    ErrorCode = (short)errors.GetValueOrDefault(new TopicPartition(topic.Name, p.PartitionIndex), ErrorCode.UnknownTopicOrPartition),
                }).ToList(),
            });
        }
        return response;
    }
}
