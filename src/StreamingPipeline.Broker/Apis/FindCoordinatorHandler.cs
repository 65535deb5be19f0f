using StreamingPipeline.Broker.Network;
using StreamingPipeline.Protocol;
using StreamingPipeline.Protocol.Messages;

namespace StreamingPipeline.Broker.Apis;

/// <summary>
/// FindCoordinator (key 10), v0-4. This broker coordinates every group (key type 0) and every transactional id
/// (key type 1). v4 batches keys in CoordinatorKeys.
/// </summary>
internal sealed class FindCoordinatorHandler(BrokerState broker) : ApiHandler<FindCoordinatorRequest, FindCoordinatorResponse>
{
    public override short MinVersion => 0;
    public override short MaxVersion => 4;

    protected override ValueTask<FindCoordinatorResponse?> HandleAsync(RequestContext context, FindCoordinatorRequest request, CancellationToken cancellationToken)
    {
        var error = request.KeyType is 0 or 1 ? ErrorCode.None : ErrorCode.InvalidRequest;
        var response = new FindCoordinatorResponse
        {
            ErrorCode = (short)error,
            NodeId = error == ErrorCode.None ? broker.NodeId : -1,
            Host = error == ErrorCode.None ? broker.AdvertisedHost : "",
            Port = error == ErrorCode.None ? broker.Port : -1,
        };
        foreach (var key in request.CoordinatorKeys)
        {
            response.Coordinators.Add(new FindCoordinatorResponse.Coordinator
            {
                Key = key,
                ErrorCode = response.ErrorCode,
                NodeId = response.NodeId,
                Host = response.Host,
                Port = response.Port,
            });
        }
        return ValueTask.FromResult<FindCoordinatorResponse?>(response);
    }
}
