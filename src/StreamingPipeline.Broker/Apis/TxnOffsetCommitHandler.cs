using StreamingPipeline.Broker.Groups;
using StreamingPipeline.Broker.Network;
using StreamingPipeline.Protocol;
using StreamingPipeline.Protocol.Messages;

namespace StreamingPipeline.Broker.Apis;

/// <summary>
/// TxnOffsetCommit (key 28), v0-3.
/// <para>Behaviour: the transaction coordinator first checks that the producer (id and epoch) has this group in its
/// ongoing transaction (INVALID_PRODUCER_ID_MAPPING, INVALID_PRODUCER_EPOCH when fenced, INVALID_TXN_STATE when
/// AddOffsetsToTxn was not called, COORDINATOR_NOT_AVAILABLE while the transaction completes, so the client retries);
/// then the group coordinator checks the consumer's generation and member id (KIP-447: ILLEGAL_GENERATION,
/// UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID fence a zombie) and stages the offsets durably. Staged offsets become the
/// group's committed offsets when the transaction commits and are discarded when it aborts; meanwhile an OffsetFetch
/// with requireStable answers UNSTABLE_OFFSET_COMMIT for them. Staging and the transaction's completion are ordered
/// per producer (<see cref="Transactions.ProducerOffsetLocks"/>), so offsets verified before an abort are never
/// staged after it. A partition that does not exist is answered UNKNOWN_TOPIC_OR_PARTITION, as Kafka does.</para>
/// <para>Version notes: v2 adds the committed leader epoch; v3 the generation, member id and group instance id
/// (before v3 they are not checked). v3 is the first flexible version; v4 (TRANSACTION_ABORTABLE) is not offered.</para>
/// </summary>
internal sealed class TxnOffsetCommitHandler(BrokerState broker) : ApiHandler<TxnOffsetCommitRequest, TxnOffsetCommitResponse>
{
    public override short MinVersion => 0;
    public override short MaxVersion => 3;

    protected override async ValueTask<TxnOffsetCommitResponse?> HandleAsync(RequestContext context, TxnOffsetCommitRequest request, CancellationToken cancellationToken)
    {
        var offsets = request.Topics
            .SelectMany(t => t.Partitions.Select(p => new OffsetCommitPartition(t.Name, p.PartitionIndex, p.CommittedOffset, p.CommittedLeaderEpoch, p.CommittedMetadata)))
            .ToList();
        var hasMember = context.ApiVersion >= 3;
        var results = await broker.TransactionalOffsetLocks.RunExclusiveAsync<IReadOnlyList<OffsetCommitPartitionResult>>(request.ProducerId, async token =>
        {
            var error = string.IsNullOrEmpty(request.GroupId)
                ? ErrorCode.InvalidGroupId
                : broker.Transactions.VerifyGroupInTransaction(request.TransactionalId, request.ProducerId, request.ProducerEpoch, request.GroupId);
            if (error != ErrorCode.None)
            {
                return offsets.Select(o => new OffsetCommitPartitionResult(o.Topic, o.Partition, error)).ToList();
            }
            return await CommittedPartitionCheck.CommitExistingAsync(broker, offsets, existing => broker.Groups.StageTransactionalOffsetsAsync(
                request.ProducerId,
                request.GroupId,
                hasMember ? request.GenerationId : -1,
                hasMember ? request.MemberId : "",
                hasMember ? request.GroupInstanceId : null,
                existing,
                token));
        }, cancellationToken);
        return new TxnOffsetCommitResponse
        {
            Topics = results.GroupBy(r => r.Topic).Select(g => new TxnOffsetCommitResponse.TxnOffsetCommitResponseTopic
            {
                Name = g.Key,
                Partitions = g.Select(r => new TxnOffsetCommitResponse.TxnOffsetCommitResponsePartition
                {
                    PartitionIndex = r.Partition,
                    ErrorCode = (short)r.Error,
                }).ToList(),
            }).ToList(),
        };
    }
}
