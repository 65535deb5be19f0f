using StreamingPipeline.Broker.Network;
using StreamingPipeline.Protocol;
using StreamingPipeline.Protocol.Messages;

namespace StreamingPipeline.Broker.Apis;

/// <summary>
/// InitProducerId (key 22), v0-4.
/// <para>Behaviour: without a transactional id (an idempotent producer) a fresh producer id with epoch 0, every time.
/// With one: the id's producer id with its epoch bumped, which fences every older incarnation; an ongoing transaction
/// of the old epoch is aborted first (its markers written) and then the call answers. A transaction timeout above
/// transaction.max.timeout.ms is INVALID_TRANSACTION_TIMEOUT; an empty transactional id INVALID_REQUEST.</para>
/// <para>Version notes: v3 adds the caller's current producer id and epoch (KIP-360), which must match or the answer
/// is PRODUCER_FENCED; before v4 that error is sent as INVALID_PRODUCER_EPOCH. v5 (TRANSACTION_ABORTABLE) is not
/// offered.</para>
/// </summary>
internal sealed class InitProducerIdHandler(BrokerState broker) : ApiHandler<InitProducerIdRequest, InitProducerIdResponse>
{
    public override short MinVersion => 0;
    public override short MaxVersion => 4;

    protected override async ValueTask<InitProducerIdResponse?> HandleAsync(RequestContext context, InitProducerIdRequest request, CancellationToken cancellationToken)
    {
        var hasCurrent = context.ApiVersion >= 3;
        var result = await broker.Transactions.InitProducerIdAsync(
            request.TransactionalId,
            request.TransactionTimeoutMs,
            hasCurrent ? request.ProducerId : -1,
            hasCurrent ? request.ProducerEpoch : (short)-1,
            cancellationToken);
        var error = result.Error == ErrorCode.ProducerFenced && context.ApiVersion < 4 ? ErrorCode.InvalidProducerEpoch : result.Error;
        return new InitProducerIdResponse
        {
            ErrorCode = (short)error,
            ProducerId = result.ProducerId,
            ProducerEpoch = result.ProducerEpoch,
        };
    }
}
