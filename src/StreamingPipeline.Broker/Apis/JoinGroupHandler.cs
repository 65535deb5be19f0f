using StreamingPipeline.Broker.Groups;
using StreamingPipeline.Broker.Network;
using StreamingPipeline.Protocol.Messages;

namespace StreamingPipeline.Broker.Apis;

/// <summary>
/// JoinGroup (key 11), v0-7, classic protocol with client-side assignors. The response waits until the rebalance
/// completes. From v4 a member without an id gets MEMBER_ID_REQUIRED and a generated id to rejoin with (KIP-394).
/// Before v1 the rebalance timeout is the session timeout.
/// </summary>
public sealed class JoinGroupHandler(BrokerState broker) : ApiHandler<JoinGroupRequest, JoinGroupResponse>
{
    public override short MinVersion => 0;
    public override short MaxVersion => 7;

    protected override async ValueTask<JoinGroupResponse?> HandleAsync(RequestContext context, JoinGroupRequest request, CancellationToken cancellationToken)
    {
        var rebalanceTimeoutMs = context.ApiVersion >= 1 ? request.RebalanceTimeoutMs : request.SessionTimeoutMs;
        var result = await broker.Groups.JoinGroupAsync(new JoinGroupCall(
            request.GroupId,
            request.MemberId,
            request.GroupInstanceId,
            request.ProtocolType,
            request.Protocols.Select(p => new JoinGroupProtocol(p.Name, p.Metadata)).ToList(),
            TimeSpan.FromMilliseconds(request.SessionTimeoutMs),
            TimeSpan.FromMilliseconds(rebalanceTimeoutMs),
            context.ClientId ?? "",
            context.ClientHost,
            RequireKnownMemberId: context.ApiVersion >= 4), cancellationToken);
        return new JoinGroupResponse
        {
            ErrorCode = (short)result.Error,
            GenerationId = result.GenerationId,
            ProtocolType = result.ProtocolType,
            // Before v7 the protocol name is not nullable on the wire.
            ProtocolName = result.ProtocolName ?? (context.ApiVersion < 7 ? "" : null),
            Leader = result.LeaderId,
            MemberId = result.MemberId,
            SkipAssignment = result.SkipAssignment,
            Members = result.Members.Select(m => new JoinGroupResponse.JoinGroupResponseMember
            {
                MemberId = m.MemberId,
                GroupInstanceId = m.GroupInstanceId,
                Metadata = m.Metadata.ToArray(),
            }).ToList(),
        };
    }
}
