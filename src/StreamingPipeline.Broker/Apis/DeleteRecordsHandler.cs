using StreamingPipeline.Broker.Network;
using StreamingPipeline.Protocol;
using StreamingPipeline.Protocol.Messages;

namespace StreamingPipeline.Broker.Apis;

/// <summary>
/// DeleteRecords (key 21), v0-2: moves each partition's log start offset up to the requested offset (-1 means the
/// high watermark), durably before answering, and answers the new low watermark. Fetches below it then get
/// OFFSET_OUT_OF_RANGE, ListOffsets earliest returns it, and closed segments wholly below it are deleted. An offset
/// beyond the high watermark is OFFSET_OUT_OF_RANGE; an unknown partition UNKNOWN_TOPIC_OR_PARTITION.
/// </summary>
internal sealed class DeleteRecordsHandler(BrokerState broker) : ApiHandler<DeleteRecordsRequest, DeleteRecordsResponse>
{
    public override short MinVersion => 0;
    public override short MaxVersion => 2;

    protected override ValueTask<DeleteRecordsResponse?> HandleAsync(RequestContext context, DeleteRecordsRequest request, CancellationToken cancellationToken)
    {
        var response = new DeleteRecordsResponse();
        foreach (var topic in request.Topics)
        {
            var topicResult = new DeleteRecordsResponse.DeleteRecordsTopicResult { Name = topic.Name };
            response.Topics.Add(topicResult);
            foreach (var requested in topic.Partitions)
            {
                var (error, lowWatermark) = broker.Logs.GetPartition(topic.Name, requested.PartitionIndex) is { } partition
                    ? partition.DeleteRecordsBefore(requested.Offset)
                    : (ErrorCode.UnknownTopicOrPartition, -1L);
                topicResult.Partitions.Add(new DeleteRecordsResponse.DeleteRecordsPartitionResult
                {
                    PartitionIndex = requested.PartitionIndex,
                    LowWatermark = lowWatermark,
                    ErrorCode = (short)error,
                });
            }
        }
        return ValueTask.FromResult<DeleteRecordsResponse?>(response);
    }
}
