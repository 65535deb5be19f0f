using StreamingPipeline.Broker.Log;
using StreamingPipeline.Broker.Network;
using StreamingPipeline.Protocol;
using StreamingPipeline.Protocol.Messages;

namespace StreamingPipeline.Broker.Apis;

/// <summary>
/// ListOffsets (key 2), v1-6. Timestamp -2 is the log start offset, -1 the high watermark (the last stable offset for
/// read_committed, v2+), any other value the first record at or after that time. A timestamp lookup never returns an
/// offset at or past the bound the caller's isolation level allows.
/// </summary>
internal sealed class ListOffsetsHandler(BrokerState broker) : ApiHandler<ListOffsetsRequest, ListOffsetsResponse>
{
    private const long Latest = -1;
    private const long Earliest = -2;
    private const sbyte ReadCommitted = 1;

    public override short MinVersion => 1;
    public override short MaxVersion => 6;

    protected override ValueTask<ListOffsetsResponse?> HandleAsync(RequestContext context, ListOffsetsRequest request, CancellationToken cancellationToken)
    {
        var response = new ListOffsetsResponse();
        foreach (var topic in request.Topics)
        {
            var topicResponse = new ListOffsetsResponse.ListOffsetsTopicResponse { Name = topic.Name };
            response.Topics.Add(topicResponse);
            foreach (var p in topic.Partitions)
            {
                var partition = broker.Logs.GetPartition(topic.Name, p.PartitionIndex);
                topicResponse.Partitions.Add(partition is null
                    ? new ListOffsetsResponse.ListOffsetsPartitionResponse { PartitionIndex = p.PartitionIndex, ErrorCode = (short)ErrorCode.UnknownTopicOrPartition, Offset = -1, Timestamp = -1 }
                    : Lookup(partition, p, request.IsolationLevel == ReadCommitted));
            }
        }
        return ValueTask.FromResult<ListOffsetsResponse?>(response);
    }

    private ListOffsetsResponse.ListOffsetsPartitionResponse Lookup(PartitionLog partition, ListOffsetsRequest.ListOffsetsPartition request, bool readCommitted)
    {
        var bound = readCommitted ? broker.LastStableOffset(partition) : partition.HighWatermark;
        var (offset, timestamp) = request.Timestamp switch
        {
            Latest => (bound, -1L),
            Earliest => (partition.LogStartOffset, -1L),
            _ => partition.FindOffsetByTimestamp(request.Timestamp) is { } found && found.Offset < bound ? found : (-1L, -1L),
        };
        return new ListOffsetsResponse.ListOffsetsPartitionResponse
        {
            PartitionIndex = request.PartitionIndex,
            ErrorCode = (short)ErrorCode.None,
            Offset = offset,
            Timestamp = timestamp,
            LeaderEpoch = 0,
        };
    }
}
