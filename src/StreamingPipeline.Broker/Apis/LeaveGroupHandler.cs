using StreamingPipeline.Broker.Groups;
using StreamingPipeline.Broker.Network;
using StreamingPipeline.Protocol.Messages;

namespace StreamingPipeline.Broker.Apis;

/// <summary>LeaveGroup (key 13), v0-4: one member (v0-2) or a batch of members (v3+, KIP-345) leave and the group rebalances.</summary>
internal sealed class LeaveGroupHandler(BrokerState broker) : ApiHandler<LeaveGroupRequest, LeaveGroupResponse>
{
    public override short MinVersion => 0;
    public override short MaxVersion => 4;

    protected override ValueTask<LeaveGroupResponse?> HandleAsync(RequestContext context, LeaveGroupRequest request, CancellationToken cancellationToken)
    {
        var members = context.ApiVersion >= 3
            ? request.Members.Select(m => new LeaveGroupMember(m.MemberId, m.GroupInstanceId)).ToList()
            : [new LeaveGroupMember(request.MemberId, null)];
        var result = broker.Groups.LeaveGroup(request.GroupId, members);
        var response = new LeaveGroupResponse
        {
            ErrorCode = (short)result.Error,
            Members = result.Members.Select(m => new LeaveGroupResponse.MemberResponse
            {
                MemberId = m.MemberId,
                GroupInstanceId = m.GroupInstanceId,
                ErrorCode = (short)m.Error,
            }).ToList(),
        };
        // v0-2 carry a single member's outcome in the top-level error.
        if (context.ApiVersion < 3 && response.ErrorCode == 0 && result.Members.Count == 1)
        {
            response.ErrorCode = (short)result.Members[0].Error;
        }
        return ValueTask.FromResult<LeaveGroupResponse?>(response);
    }
}
