using StreamingPipeline.Broker.Groups;
using StreamingPipeline.Broker.Network;
using StreamingPipeline.Protocol.Messages;

namespace StreamingPipeline.Broker.Apis;

/// <summary>DescribeGroups (key 15), v0-5: state, protocol and members with their metadata and assignments.</summary>
internal sealed class DescribeGroupsHandler(BrokerState broker) : ApiHandler<DescribeGroupsRequest, DescribeGroupsResponse>
{
    private const int AuthorizedOperationsOmitted = int.MinValue;

    public override short MinVersion => 0;
    public override short MaxVersion => 5;

    protected override ValueTask<DescribeGroupsResponse?> HandleAsync(RequestContext context, DescribeGroupsRequest request, CancellationToken cancellationToken) =>
        ValueTask.FromResult<DescribeGroupsResponse?>(new DescribeGroupsResponse
        {
            Groups = broker.Groups.DescribeGroups(request.Groups).Select(g => new DescribeGroupsResponse.DescribedGroup
            {
                ErrorCode = (short)g.Error,
                GroupId = g.GroupId,
                GroupState = g.State.ToKafkaName(),
                ProtocolType = g.ProtocolType,
                ProtocolData = g.ProtocolName,
                AuthorizedOperations = AuthorizedOperationsOmitted,
                Members = g.Members.Select(m => new DescribeGroupsResponse.DescribedGroupMember
                {
                    MemberId = m.MemberId,
                    GroupInstanceId = m.GroupInstanceId,
                    ClientId = m.ClientId,
                    ClientHost = m.ClientHost,
                    MemberMetadata = m.Metadata.ToArray(),
                    MemberAssignment = m.Assignment.ToArray(),
                }).ToList(),
            }).ToList(),
        });
}
