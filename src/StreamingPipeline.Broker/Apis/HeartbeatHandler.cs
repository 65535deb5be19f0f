using StreamingPipeline.Broker.Network;
using StreamingPipeline.Protocol.Messages;

namespace StreamingPipeline.Broker.Apis;

/// <summary>Heartbeat (key 12), v0-4: keeps a member's session alive; REBALANCE_IN_PROGRESS tells it to rejoin.</summary>
internal sealed class HeartbeatHandler(BrokerState broker) : ApiHandler<HeartbeatRequest, HeartbeatResponse>
{
    public override short MinVersion => 0;
    public override short MaxVersion => 4;

    protected override ValueTask<HeartbeatResponse?> HandleAsync(RequestContext context, HeartbeatRequest request, CancellationToken cancellationToken) =>
        ValueTask.FromResult<HeartbeatResponse?>(new HeartbeatResponse
        {
            ErrorCode = (short)broker.Groups.Heartbeat(request.GroupId, request.GenerationId, request.MemberId, request.GroupInstanceId),
        });
}
