namespace StreamingPipeline.Broker.Groups;

/// <summary>One group as ListGroups shows it; the protocol type is empty for groups that only store offsets.</summary>
internal sealed record ListedGroup(string GroupId, string ProtocolType, GroupState State);
