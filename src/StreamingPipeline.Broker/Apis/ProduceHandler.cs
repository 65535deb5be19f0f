using System.Runtime.InteropServices;
using StreamingPipeline.Broker.Network;
using StreamingPipeline.Protocol;
using StreamingPipeline.Protocol.Messages;

namespace StreamingPipeline.Broker.Apis;

/// <summary>
/// Produce (key 0), v3-9: v2 record batches only (v3 is the first version that requires them). Batches are stored as
/// sent with only the base offset rewritten. acks=0 gets no response; acks=1 and acks=-1 are the same on one node
/// (the leader is the whole ISR). Any other acks value is INVALID_REQUIRED_ACKS.
/// </summary>
public sealed class ProduceHandler(BrokerState broker) : ApiHandler<ProduceRequest, ProduceResponse>
{
    public override short MinVersion => 3;
    public override short MaxVersion => 9;

    protected override ValueTask<ProduceResponse?> HandleAsync(RequestContext context, ProduceRequest request, CancellationToken cancellationToken)
    {
        var response = new ProduceResponse();
        var acksValid = request.Acks is 0 or 1 or -1;
        foreach (var topicData in request.TopicData)
        {
            var topicResponse = new ProduceResponse.TopicProduceResponse { Name = topicData.Name };
            response.Responses.Add(topicResponse);
            foreach (var partitionData in topicData.PartitionData)
            {
                topicResponse.PartitionResponses.Add(acksValid
                    ? Append(request, topicData.Name, partitionData)
                    : Failed(partitionData.Index, ErrorCode.InvalidRequiredAcks, null));
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
        var result = partition.Append(MemoryMarshal.AsMemory(records));
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
