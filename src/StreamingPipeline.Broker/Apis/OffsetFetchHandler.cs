using StreamingPipeline.Broker.Groups;
using StreamingPipeline.Broker.Log;
using StreamingPipeline.Broker.Network;
using StreamingPipeline.Protocol;
using StreamingPipeline.Protocol.Messages;

namespace StreamingPipeline.Broker.Apis;

/// <summary>
/// OffsetFetch (key 9), v1-7 for one group. A null topic list (v2+) fetches every committed partition. requireStable
/// (v7) makes partitions with offsets staged by an open transaction answer UNSTABLE_OFFSET_COMMIT (KIP-447). A topic or
/// partition that does not exist gets offset -1 and no error, as Kafka's brokers answer from v1 on (only v0, served
/// from ZooKeeper, answered UNKNOWN_TOPIC_OR_PARTITION).
/// </summary>
internal sealed class OffsetFetchHandler(BrokerState broker) : ApiHandler<OffsetFetchRequest, OffsetFetchResponse>
{
    public override short MinVersion => 1;
    public override short MaxVersion => 7;

    protected override ValueTask<OffsetFetchResponse?> HandleAsync(RequestContext context, OffsetFetchRequest request, CancellationToken cancellationToken)
    {
        var partitions = request.Topics?.SelectMany(t => t.PartitionIndexes.Select(p => new TopicPartition(t.Name, p))).ToList();
        var result = broker.Groups.FetchOffsets(request.GroupId, partitions, request.RequireStable);
        var response = new OffsetFetchResponse
        {
            ErrorCode = (short)result.Error,
            Topics = result.Partitions.GroupBy(p => p.Topic).Select(g => new OffsetFetchResponse.OffsetFetchResponseTopic
            {
                Name = g.Key,
                Partitions = g.Select(p => new OffsetFetchResponse.OffsetFetchResponsePartition
                {
                    PartitionIndex = p.Partition,
                    CommittedOffset = p.Offset,
                    CommittedLeaderEpoch = p.LeaderEpoch,
                    Metadata = p.Metadata,
                    ErrorCode = (short)p.Error,
                }).ToList(),
            }).ToList(),
        };
        // v1 has no top-level error code; a group-level error is reported on each partition instead.
        if (context.ApiVersion < 2 && result.Error != ErrorCode.None)
        {
            foreach (var partition in response.Topics.SelectMany(t => t.Partitions))
            {
                partition.ErrorCode = (short)result.Error;
            }
        }
        return ValueTask.FromResult<OffsetFetchResponse?>(response);
    }
}
