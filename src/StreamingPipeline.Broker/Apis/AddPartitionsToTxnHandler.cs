using StreamingPipeline.Broker.Log;
using StreamingPipeline.Broker.Network;
using StreamingPipeline.Protocol;
using StreamingPipeline.Protocol.Messages;

namespace StreamingPipeline.Broker.Apis;

/// <summary>
/// AddPartitionsToTxn (key 24), v0-3: the client versions (v4+ batch several transactions for broker-to-broker
/// verification and are not offered).
/// <para>Behaviour: adds the partitions to the producer's transaction, opening one if none is, durably before the
/// answer; only then may the producer write to them (a transactional Produce to a partition not added is refused).
/// If any partition does not exist, those get UNKNOWN_TOPIC_OR_PARTITION, the rest OPERATION_NOT_ATTEMPTED, and
/// nothing is added. Otherwise every partition gets the coordinator's answer: NONE, INVALID_PRODUCER_ID_MAPPING,
/// PRODUCER_FENCED (an older epoch), CONCURRENT_TRANSACTIONS (the previous transaction is still completing; retry).</para>
/// <para>Version notes: before v2, PRODUCER_FENCED is sent as INVALID_PRODUCER_EPOCH. v3 is the first flexible version.</para>
/// </summary>
public sealed class AddPartitionsToTxnHandler(BrokerState broker) : ApiHandler<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse>
{
    public override short MinVersion => 0;
    public override short MaxVersion => 3;

    protected override async ValueTask<AddPartitionsToTxnResponse?> HandleAsync(RequestContext context, AddPartitionsToTxnRequest request, CancellationToken cancellationToken)
    {
        var partitions = request.V3AndBelowTopics.SelectMany(t => t.Partitions.Select(p => new TopicPartition(t.Name, p))).ToList();
        var unknown = partitions.Where(p => broker.Logs.GetPartition(p.Topic, p.Partition) is null).ToHashSet();
        ErrorCode error;
        if (unknown.Count > 0)
        {
            error = ErrorCode.OperationNotAttempted;
        }
        else
        {
            error = await broker.Transactions.AddPartitionsToTxnAsync(
                request.V3AndBelowTransactionalId,
                request.V3AndBelowProducerId,
                request.V3AndBelowProducerEpoch,
                partitions,
                cancellationToken);
            if (error == ErrorCode.ProducerFenced && context.ApiVersion < 2)
            {
                error = ErrorCode.InvalidProducerEpoch;
            }
        }
        return new AddPartitionsToTxnResponse
        {
            ResultsByTopicV3AndBelow = request.V3AndBelowTopics.Select(t => new AddPartitionsToTxnResponse.AddPartitionsToTxnTopicResult
            {
                Name = t.Name,
                ResultsByPartition = t.Partitions.Select(p => new AddPartitionsToTxnResponse.AddPartitionsToTxnPartitionResult
                {
                    PartitionIndex = p,
                    PartitionErrorCode = (short)(unknown.Contains(new TopicPartition(t.Name, p)) ? ErrorCode.UnknownTopicOrPartition : error),
                }).ToList(),
            }).ToList(),
        };
    }
}
