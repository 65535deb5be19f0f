using StreamingPipeline.Broker.Groups;
using StreamingPipeline.Broker.Network;
using StreamingPipeline.Protocol.Messages;

namespace StreamingPipeline.Broker.Apis;

/// <summary>
/// OffsetCommit (key 8), v0-8. Offsets are durable when the response is sent. Generation -1 with an empty member id
/// is a standalone commit (kcat, admin tools). Retention time (v2-4) is ignored: the broker-wide retention applies.
/// A partition that does not exist is answered UNKNOWN_TOPIC_OR_PARTITION, as Kafka does, and its offset not stored.
/// </summary>
internal sealed class OffsetCommitHandler(BrokerState broker) : ApiHandler<OffsetCommitRequest, OffsetCommitResponse>
{
    public override short MinVersion => 0;
    public override short MaxVersion => 8;

    protected override async ValueTask<OffsetCommitResponse?> HandleAsync(RequestContext context, OffsetCommitRequest request, CancellationToken cancellationToken)
    {
        var offsets = request.Topics
            .SelectMany(t => t.Partitions.Select(p => new OffsetCommitPartition(t.Name, p.PartitionIndex, p.CommittedOffset, p.CommittedLeaderEpoch, p.CommittedMetadata)))
            .ToList();
        var generation = context.ApiVersion >= 1 ? request.GenerationIdOrMemberEpoch : -1;
        var results = await CommittedPartitionCheck.CommitExistingAsync(broker, offsets, existing =>
            broker.Groups.CommitOffsetsAsync(request.GroupId, generation, request.MemberId, request.GroupInstanceId, existing, cancellationToken));
        return new OffsetCommitResponse
        {
            Topics = results.GroupBy(r => r.Topic).Select(g => new OffsetCommitResponse.OffsetCommitResponseTopic
            {
                Name = g.Key,
                Partitions = g.Select(r => new OffsetCommitResponse.OffsetCommitResponsePartition { PartitionIndex = r.Partition, ErrorCode = (short)r.Error }).ToList(),
            }).ToList(),
        };
    }
}
