using StreamingPipeline.Broker.Network;
using StreamingPipeline.Broker.Transactions;
using StreamingPipeline.Protocol;
using StreamingPipeline.Protocol.Messages;

namespace StreamingPipeline.Broker.Apis;

/// <summary>
/// DescribeProducers (key 61), v0 (KIP-664): for each partition the idempotent and transactional producers it
/// remembers, with epoch, last sequence, last timestamp, coordinator epoch and the start offset of an open transaction
/// (-1 if none), so tooling can find the producer holding back the last stable offset. A partition that does not exist
/// is UNKNOWN_TOPIC_OR_PARTITION.
/// </summary>
internal sealed class DescribeProducersHandler(BrokerState broker) : ApiHandler<DescribeProducersRequest, DescribeProducersResponse>
{
    public override short MinVersion => 0;
    public override short MaxVersion => 0;

    protected override ValueTask<DescribeProducersResponse?> HandleAsync(RequestContext context, DescribeProducersRequest request, CancellationToken cancellationToken)
    {
        var response = new DescribeProducersResponse();
        foreach (var topic in request.Topics)
        {
            var topicResponse = new DescribeProducersResponse.TopicResponse { Name = topic.Name };
            response.Topics.Add(topicResponse);
            foreach (var index in topic.PartitionIndexes)
            {
                var partitionResponse = new DescribeProducersResponse.PartitionResponse { PartitionIndex = index, ErrorCode = (short)ErrorCode.None };
                topicResponse.Partitions.Add(partitionResponse);
                if (broker.Logs.GetPartition(topic.Name, index) is not { } log)
                {
                    partitionResponse.ErrorCode = (short)ErrorCode.UnknownTopicOrPartition;
                    partitionResponse.ErrorMessage = $"{topic.Name}-{index} does not exist.";
                    continue;
                }
                var producers = log.UnderAppendLock(static guard => (guard as PartitionProducerState)?.ActiveProducers() ?? []);
                partitionResponse.ActiveProducers = producers.OrderBy(p => p.ProducerId).Select(p => new DescribeProducersResponse.ProducerState
                {
                    ProducerId = p.ProducerId,
                    ProducerEpoch = p.ProducerEpoch,
                    LastSequence = p.LastSequence,
                    LastTimestamp = p.LastTimestamp,
                    CoordinatorEpoch = p.CoordinatorEpoch,
                    CurrentTxnStartOffset = p.CurrentTxnStartOffset,
                }).ToList();
            }
        }
        return ValueTask.FromResult<DescribeProducersResponse?>(response);
    }
}
