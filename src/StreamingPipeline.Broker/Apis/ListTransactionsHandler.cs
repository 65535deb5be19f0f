using StreamingPipeline.Broker.Network;
using StreamingPipeline.Broker.Transactions;
using StreamingPipeline.Protocol;
using StreamingPipeline.Protocol.Messages;

namespace StreamingPipeline.Broker.Apis;

/// <summary>
/// ListTransactions (key 66), v0-1 (KIP-664): every transactional id the coordinator knows, with its producer id and
/// state (Kafka's names: Empty, Ongoing, PrepareCommit, PrepareAbort, CompleteCommit, CompleteAbort), filtered by
/// state, producer id and (v1) by running longer than a duration. State filters this broker does not know are
/// echoed in UnknownStateFilters, as Kafka does.
/// </summary>
internal sealed class ListTransactionsHandler(BrokerState broker) : ApiHandler<ListTransactionsRequest, ListTransactionsResponse>
{
    public override short MinVersion => 0;
    public override short MaxVersion => 1;

    protected override ValueTask<ListTransactionsResponse?> HandleAsync(RequestContext context, ListTransactionsRequest request, CancellationToken cancellationToken)
    {
        var known = Enum.GetNames<TransactionState>().ToHashSet(StringComparer.Ordinal);
        var states = request.StateFilters.Where(known.Contains).ToHashSet(StringComparer.Ordinal);
        var producerIds = request.ProducerIdFilters.ToHashSet();
        var nowMs = broker.Time.GetUtcNow().ToUnixTimeMilliseconds();
        var durationMs = context.ApiVersion >= 1 ? request.DurationFilter : -1;
        var response = new ListTransactionsResponse
        {
            ErrorCode = (short)ErrorCode.None,
            UnknownStateFilters = request.StateFilters.Where(s => !known.Contains(s)).ToList(),
        };
        foreach (var transaction in broker.Transactions.Transactions.OrderBy(t => t.TransactionalId, StringComparer.Ordinal))
        {
            var state = transaction.State.ToString();
            if ((request.StateFilters.Count > 0 && !states.Contains(state))
                || (producerIds.Count > 0 && !producerIds.Contains(transaction.ProducerId))
                || (durationMs >= 0 && (transaction.TransactionStartMs < 0 || nowMs - transaction.TransactionStartMs < durationMs)))
            {
                continue;
            }
            response.TransactionStates.Add(new ListTransactionsResponse.TransactionState
            {
                TransactionalId = transaction.TransactionalId,
                ProducerId = transaction.ProducerId,
                TransactionStateValue = state,
            });
        }
        return ValueTask.FromResult<ListTransactionsResponse?>(response);
    }
}
