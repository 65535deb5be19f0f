using StreamingPipeline.Broker.Network;
using StreamingPipeline.Protocol;
using StreamingPipeline.Protocol.Messages;

namespace StreamingPipeline.Broker.Apis;

/// <summary>
/// CreatePartitions (key 37), v0-3: grows a topic to the requested count. The new partitions exist durably, serve
/// produce and fetch, and appear in Metadata when the response is sent. A count not larger than the current one is
/// INVALID_PARTITIONS (Kafka's messages), manual assignments may only name this broker (INVALID_REPLICA_ASSIGNMENT), a
/// topic named twice is INVALID_REQUEST, an unknown one UNKNOWN_TOPIC_OR_PARTITION; validateOnly checks only.
/// </summary>
internal sealed class CreatePartitionsHandler(BrokerState broker) : ApiHandler<CreatePartitionsRequest, CreatePartitionsResponse>
{
    public override short MinVersion => 0;
    public override short MaxVersion => 3;

    protected override ValueTask<CreatePartitionsResponse?> HandleAsync(RequestContext context, CreatePartitionsRequest request, CancellationToken cancellationToken)
    {
        var response = new CreatePartitionsResponse();
        var duplicates = request.Topics.GroupBy(t => t.Name).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet(StringComparer.Ordinal);
        foreach (var topic in request.Topics)
        {
            var (error, message) = duplicates.Contains(topic.Name)
                ? (ErrorCode.InvalidRequest, "Topic is named more than once in the request.")
                : Grow(topic, request.ValidateOnly);
            response.Results.Add(new CreatePartitionsResponse.CreatePartitionsTopicResult
            {
                Name = topic.Name,
                ErrorCode = (short)error,
                ErrorMessage = message,
            });
        }
        return ValueTask.FromResult<CreatePartitionsResponse?>(response);
    }

    private (ErrorCode, string?) Grow(CreatePartitionsRequest.CreatePartitionsTopic topic, bool validateOnly)
    {
        if (topic.Assignments is { Count: > 0 } assignments && assignments.Any(a => a.BrokerIds.Any(id => id != broker.NodeId)))
        {
            return (ErrorCode.InvalidReplicaAssignment, $"Assignments may only name broker {broker.NodeId}.");
        }
        var result = broker.Logs.CreatePartitions(topic.Name, topic.Count, validateOnly);
        return (result.Error, result.ErrorMessage);
    }
}
