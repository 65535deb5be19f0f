using StreamingPipeline.Broker.Network;
using StreamingPipeline.Protocol;
using StreamingPipeline.Protocol.Messages;

namespace StreamingPipeline.Broker.Apis;

/// <summary>
/// DescribeTransactions (key 65), v0 (KIP-664): for each transactional id its state, timeout, start time, producer id
/// and epoch and the partitions in its ongoing transaction, so tooling can find a hanging transaction. An id the
/// coordinator does not know is TRANSACTIONAL_ID_NOT_FOUND; an empty one INVALID_REQUEST.
/// </summary>
internal sealed class DescribeTransactionsHandler(BrokerState broker) : ApiHandler<DescribeTransactionsRequest, DescribeTransactionsResponse>
{
    public override short MinVersion => 0;
    public override short MaxVersion => 0;

    protected override ValueTask<DescribeTransactionsResponse?> HandleAsync(RequestContext context, DescribeTransactionsRequest request, CancellationToken cancellationToken)
    {
        var response = new DescribeTransactionsResponse();
        foreach (var transactionalId in request.TransactionalIds)
        {
            var metadata = string.IsNullOrEmpty(transactionalId) ? null : broker.Transactions.GetTransaction(transactionalId);
            if (metadata is null)
            {
                response.TransactionStates.Add(new DescribeTransactionsResponse.TransactionState
                {
                    TransactionalId = transactionalId ?? "",
                    ErrorCode = (short)(string.IsNullOrEmpty(transactionalId) ? ErrorCode.InvalidRequest : ErrorCode.TransactionalIdNotFound),
                    TransactionStartTimeMs = -1,
                    ProducerId = -1,
                    ProducerEpoch = -1,
                });
                continue;
            }
            response.TransactionStates.Add(new DescribeTransactionsResponse.TransactionState
            {
                TransactionalId = transactionalId,
                ErrorCode = (short)ErrorCode.None,
                TransactionStateValue = metadata.State.ToString(),
                TransactionTimeoutMs = metadata.TimeoutMs,
                TransactionStartTimeMs = metadata.TransactionStartMs,
                ProducerId = metadata.ProducerId,
                ProducerEpoch = metadata.ProducerEpoch,
                Topics = metadata.Partitions
                    .GroupBy(p => p.Topic, StringComparer.Ordinal)
                    .OrderBy(g => g.Key, StringComparer.Ordinal)
                    .Select(g => new DescribeTransactionsResponse.TopicData { Topic = g.Key, Partitions = g.Select(p => p.Partition).Order().ToList() })
                    .ToList(),
            });
        }
        return ValueTask.FromResult<DescribeTransactionsResponse?>(response);
    }
}
