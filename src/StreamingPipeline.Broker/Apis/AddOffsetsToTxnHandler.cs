using StreamingPipeline.Broker.Network;
using StreamingPipeline.Protocol;
using StreamingPipeline.Protocol.Messages;

namespace StreamingPipeline.Broker.Apis;

/// <summary>
/// AddOffsetsToTxn (key 25), v0-3.
/// <para>Behaviour: makes the consumer group's offsets part of the producer's transaction (opening one if none is),
/// durably before the answer, so TxnOffsetCommit may then stage offsets that become the group's committed offsets only
/// when the transaction commits. Errors as AddPartitionsToTxn: INVALID_PRODUCER_ID_MAPPING, PRODUCER_FENCED,
/// CONCURRENT_TRANSACTIONS; an empty group id is INVALID_GROUP_ID.</para>
/// <para>Version notes: before v2, PRODUCER_FENCED is sent as INVALID_PRODUCER_EPOCH. v3 is the first flexible version;
/// v4 (TRANSACTION_ABORTABLE) is not offered.</para>
/// </summary>
internal sealed class AddOffsetsToTxnHandler(BrokerState broker) : ApiHandler<AddOffsetsToTxnRequest, AddOffsetsToTxnResponse>
{
    public override short MinVersion => 0;
    public override short MaxVersion => 3;

    protected override async ValueTask<AddOffsetsToTxnResponse?> HandleAsync(RequestContext context, AddOffsetsToTxnRequest request, CancellationToken cancellationToken)
    {
        var error = string.IsNullOrEmpty(request.GroupId)
            ? ErrorCode.InvalidGroupId
            : await broker.Transactions.AddOffsetsToTxnAsync(
                request.TransactionalId, request.ProducerId, request.ProducerEpoch, request.GroupId, cancellationToken);
        if (error == ErrorCode.ProducerFenced && context.ApiVersion < 2)
        {
            error = ErrorCode.InvalidProducerEpoch;
        }
        return new AddOffsetsToTxnResponse { ErrorCode = (short)error };
    }
}
