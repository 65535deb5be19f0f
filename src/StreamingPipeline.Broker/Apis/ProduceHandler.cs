using System.Runtime.InteropServices;
using StreamingPipeline.Broker.Log;
using StreamingPipeline.Broker.Network;
using StreamingPipeline.Protocol;
using StreamingPipeline.Protocol.Messages;

namespace StreamingPipeline.Broker.Apis;

/// <summary>
/// Produce (key 0), v3-9: v2 record batches only (v3 is the first version that requires them). Batches are stored as
/// sent with only the base offset rewritten. acks=0 gets no response; acks=1 and acks=-1 are the same on one node
/// (the leader is the whole ISR). Any other acks value is INVALID_REQUIRED_ACKS.
/// <para>Idempotence and transactions (the partition's producer state decides): a batch with a producer id must be
/// the only batch for its partition; a repeat of one of the producer's last five batches is acknowledged with the
/// offset it was first stored at and not stored again; a sequence gap is OUT_OF_ORDER_SEQUENCE_NUMBER; an epoch older
/// than the partition has seen is INVALID_PRODUCER_EPOCH. The first transactional batch of a transaction in a partition
/// is verified with the transaction coordinator (KIP-890 part 1): a partition not added to the ongoing transaction is
/// INVALID_TXN_STATE, a fenced producer INVALID_PRODUCER_EPOCH, a transaction still completing NOT_ENOUGH_REPLICAS
/// (retriable). Transactional batches without a transactional id in the request are
/// TRANSACTIONAL_ID_AUTHORIZATION_FAILED, as Kafka answers.</para>
/// </summary>
internal sealed class ProduceHandler(BrokerState broker) : ApiHandler<ProduceRequest, ProduceResponse>
{
    public override short MinVersion => 3;
    public override short MaxVersion => 9;

    protected override ValueTask<ProduceResponse?> HandleAsync(RequestContext context, ProduceRequest request, CancellationToken cancellationToken)
    {
        var response = new ProduceResponse();
        var acksValid = request.Acks is 0 or 1 or -1;
        var transactionalIdMissing = request.TransactionalId is null && HasTransactionalBatch(request);
        foreach (var topicData in request.TopicData)
        {
            var topicResponse = new ProduceResponse.TopicProduceResponse { Name = topicData.Name };
            response.Responses.Add(topicResponse);
            foreach (var partitionData in topicData.PartitionData)
            {
                topicResponse.PartitionResponses.Add(
                    !acksValid ? Failed(partitionData.Index, ErrorCode.InvalidRequiredAcks, null)
                    : transactionalIdMissing ? Failed(partitionData.Index, ErrorCode.TransactionalIdAuthorizationFailed, "Transactional records need a transactional id.")
                    : Append(request, topicData.Name, partitionData));
            }
        }
        return ValueTask.FromResult(request.Acks == 0 ? null : response);
    }

    private ProduceResponse.PartitionProduceResponse Append(ProduceRequest request, string topic, ProduceRequest.PartitionProduceData data)
    {
        var partition = broker.Logs.GetPartition(topic, data.Index);
        if (partition is null)
        {
            return Failed(data.Index, ErrorCode.UnknownTopicOrPartition, null);
        }
        if (data.Records is not { Length: > 0 } records)
        {
            return Failed(data.Index, ErrorCode.CorruptMessage, "Empty record set.");
        }
        // The request buffer belongs to this connection until the response is written, so the log may rewrite the
        // base offset in place instead of copying the batch.
        var result = partition.Append(MemoryMarshal.AsMemory(records), AppendOrigin.Client, request.TransactionalId);
        return new ProduceResponse.PartitionProduceResponse
        {
            Index = data.Index,
            ErrorCode = (short)result.Error,
            BaseOffset = result.BaseOffset,
            LogAppendTimeMs = result.LogAppendTimeMs,
            LogStartOffset = result.LogStartOffset,
            ErrorMessage = result.ErrorMessage,
        };
    }

    /// <summary>Whether any partition's first batch is transactional (Kafka looks at the first batch, too).</summary>
    private static bool HasTransactionalBatch(ProduceRequest request)
    {
        foreach (var topicData in request.TopicData)
        {
            foreach (var partitionData in topicData.PartitionData)
            {
                if (partitionData.Records is { Length: >= RecordBatchHeader.Size } records
                    && records.Span[RecordBatchHeader.MagicPosition] == RecordBatchHeader.CurrentMagic
                    && new RecordBatchHeader(records.Span).IsTransactional)
                {
                    return true;
                }
            }
        }
        return false;
    }

    private static ProduceResponse.PartitionProduceResponse Failed(int partition, ErrorCode error, string? message) => new()
    {
        Index = partition,
        ErrorCode = (short)error,
        BaseOffset = -1,
        LogAppendTimeMs = -1,
        LogStartOffset = -1,
        ErrorMessage = message,
    };
}
