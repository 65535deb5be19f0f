namespace StreamingPipeline.Broker.Groups;

/// <summary>One member as DescribeGroups shows it; metadata and assignment are empty unless the group is Stable.</summary>
public sealed record DescribedGroupMember(
    string MemberId,
    string? GroupInstanceId,
    string ClientId,
    string ClientHost,
    ReadOnlyMemory<byte> Metadata,
    ReadOnlyMemory<byte> Assignment);
