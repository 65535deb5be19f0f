using StreamingPipeline.Broker.Network;
using StreamingPipeline.Protocol;
using StreamingPipeline.Protocol.Messages;

namespace StreamingPipeline.Broker.Apis;

/// <summary>
/// EndTxn (key 26), v0-3.
/// <para>Behaviour: durably decides commit or abort, writes a COMMIT or ABORT control batch into every partition of the
/// transaction and publishes (commit) or drops (abort) the group offsets it staged, then answers: a committed
/// transaction is visible to read_committed consumers when the answer arrives. Should the markers fail, the decision
/// still stands (the answer is NONE) and they are retried until written, also after a restart. Errors:
/// INVALID_PRODUCER_ID_MAPPING, PRODUCER_FENCED (older epoch), INVALID_TXN_STATE (nothing to end, or the opposite
/// outcome already decided), CONCURRENT_TRANSACTIONS (this outcome is still being written; retry). A retry of a
/// finished EndTxn with the same outcome is NONE.</para>
/// <para>Version notes: before v2, PRODUCER_FENCED is sent as INVALID_PRODUCER_EPOCH. v3 is the first flexible version;
/// v4 (TRANSACTION_ABORTABLE) and v5 (an epoch bump per transaction, KIP-890 part 2) are not offered.</para>
/// </summary>
internal sealed class EndTxnHandler(BrokerState broker) : ApiHandler<EndTxnRequest, EndTxnResponse>
{
    public override short MinVersion => 0;
    public override short MaxVersion => 3;

    protected override async ValueTask<EndTxnResponse?> HandleAsync(RequestContext context, EndTxnRequest request, CancellationToken cancellationToken)
    {
        var error = await broker.Transactions.EndTxnAsync(
            request.TransactionalId, request.ProducerId, request.ProducerEpoch, request.Committed, cancellationToken);
        if (error == ErrorCode.ProducerFenced && context.ApiVersion < 2)
        {
            error = ErrorCode.InvalidProducerEpoch;
        }
        return new EndTxnResponse { ErrorCode = (short)error };
    }
}
