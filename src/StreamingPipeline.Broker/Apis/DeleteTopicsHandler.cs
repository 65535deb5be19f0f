using StreamingPipeline.Broker.Network;
using StreamingPipeline.Protocol;
using StreamingPipeline.Protocol.Messages;

namespace StreamingPipeline.Broker.Apis;

/// <summary>DeleteTopics (key 20), v0-6: by name (v0-5) or by name or topic id (v6). Unknown topics get UNKNOWN_TOPIC_OR_PARTITION (UNKNOWN_TOPIC_ID by id).</summary>
internal sealed class DeleteTopicsHandler(BrokerState broker) : ApiHandler<DeleteTopicsRequest, DeleteTopicsResponse>
{
    public override short MinVersion => 0;
    public override short MaxVersion => 6;

    protected override ValueTask<DeleteTopicsResponse?> HandleAsync(RequestContext context, DeleteTopicsRequest request, CancellationToken cancellationToken)
    {
        var response = new DeleteTopicsResponse();
        var targets = context.ApiVersion >= 6
            ? request.Topics.Select(t => (t.Name, t.TopicId))
            : request.TopicNames.Select(n => ((string?)n, Guid.Empty));
        foreach (var (name, id) in targets)
        {
            var topic = name is not null ? broker.Logs.GetTopic(name) : broker.Logs.GetTopic(id);
            var error = topic is null
                ? name is null ? ErrorCode.UnknownTopicId : ErrorCode.UnknownTopicOrPartition
                : broker.Logs.DeleteTopic(topic.Name);
            response.Responses.Add(new DeleteTopicsResponse.DeletableTopicResult
            {
                Name = topic?.Name ?? name,
                TopicId = topic?.TopicId ?? id,
                ErrorCode = (short)error,
            });
        }
        return ValueTask.FromResult<DeleteTopicsResponse?>(response);
    }
}
