using StreamingPipeline.Broker.Groups;
using StreamingPipeline.Broker.Network;
using StreamingPipeline.Protocol.Messages;

namespace StreamingPipeline.Broker.Apis;

/// <summary>ListGroups (key 16), v0-4: every classic group, optionally filtered by state (v4, KIP-518).</summary>
internal sealed class ListGroupsHandler(BrokerState broker) : ApiHandler<ListGroupsRequest, ListGroupsResponse>
{
    public override short MinVersion => 0;
    public override short MaxVersion => 4;

    protected override ValueTask<ListGroupsResponse?> HandleAsync(RequestContext context, ListGroupsRequest request, CancellationToken cancellationToken)
    {
        var states = new List<GroupState>();
        foreach (var name in request.StatesFilter)
        {
            if (GroupStateNames.TryParse(name, out var state))
            {
                states.Add(state);
            }
        }
        var unknownStatesOnly = request.StatesFilter.Count > 0 && states.Count == 0;
        var groups = unknownStatesOnly ? [] : broker.Groups.ListGroups(states);
        return ValueTask.FromResult<ListGroupsResponse?>(new ListGroupsResponse
        {
            Groups = groups.Select(g => new ListGroupsResponse.ListedGroup
            {
                GroupId = g.GroupId,
                ProtocolType = g.ProtocolType,
                GroupState = g.State.ToKafkaName(),
                GroupType = "classic",
            }).ToList(),
        });
    }
}
