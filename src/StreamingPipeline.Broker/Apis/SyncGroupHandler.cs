using StreamingPipeline.Broker.Groups;
using StreamingPipeline.Broker.Network;
using StreamingPipeline.Protocol.Messages;

namespace StreamingPipeline.Broker.Apis;

/// <summary>SyncGroup (key 14), v0-5: the leader hands in the assignment; every member's response waits for it.</summary>
public sealed class SyncGroupHandler(BrokerState broker) : ApiHandler<SyncGroupRequest, SyncGroupResponse>
{
    public override short MinVersion => 0;
    public override short MaxVersion => 5;

    protected override async ValueTask<SyncGroupResponse?> HandleAsync(RequestContext context, SyncGroupRequest request, CancellationToken cancellationToken)
    {
        var result = await broker.Groups.SyncGroupAsync(new SyncGroupCall(
            request.GroupId,
            request.GenerationId,
            request.MemberId,
            request.GroupInstanceId,
            request.ProtocolType,
            request.ProtocolName,
            request.Assignments.Select(a => new SyncGroupAssignment(a.MemberId, a.Assignment)).ToList()), cancellationToken);
        return new SyncGroupResponse
        {
            ErrorCode = (short)result.Error,
            ProtocolType = result.ProtocolType,
            ProtocolName = result.ProtocolName,
            Assignment = result.Assignment.ToArray(),
        };
    }
}
