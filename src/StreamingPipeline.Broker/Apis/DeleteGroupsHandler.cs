using StreamingPipeline.Broker.Network;
using StreamingPipeline.Protocol.Messages;

namespace StreamingPipeline.Broker.Apis;

/// <summary>
/// DeleteGroups (key 42), v0-2: removes empty groups and their committed offsets, durably before answering.
/// GROUP_ID_NOT_FOUND for an unknown group, NON_EMPTY_GROUP for a group with members.
/// </summary>
internal sealed class DeleteGroupsHandler(BrokerState broker) : ApiHandler<DeleteGroupsRequest, DeleteGroupsResponse>
{
    public override short MinVersion => 0;
    public override short MaxVersion => 2;

    protected override async ValueTask<DeleteGroupsResponse?> HandleAsync(RequestContext context, DeleteGroupsRequest request, CancellationToken cancellationToken)
    {
        var results = await broker.Groups.DeleteGroupsAsync(request.GroupsNames, cancellationToken);
        return new DeleteGroupsResponse
        {
            Results = results.Select(r => new DeleteGroupsResponse.DeletableGroupResult { GroupId = r.GroupId, ErrorCode = (short)r.Error }).ToList(),
        };
    }
}
