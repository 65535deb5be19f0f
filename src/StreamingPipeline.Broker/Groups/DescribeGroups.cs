using StreamingPipeline.Protocol;

namespace StreamingPipeline.Broker.Groups;

/// <summary>One group as DescribeGroups shows it; an unknown group is reported Dead with no error, as Kafka does.</summary>
/// <param name="GroupId">The group.</param>
/// <param name="Error">None, or InvalidGroupId for an empty id.</param>
/// <param name="State">The group's state.</param>
/// <param name="ProtocolType">The protocol type, or empty.</param>
/// <param name="ProtocolName">The selected protocol while Stable, else empty.</param>
/// <param name="Members">The current members.</param>
public sealed record DescribedGroup(
    string GroupId,
    ErrorCode Error,
    GroupState State,
    string ProtocolType,
    string ProtocolName,
    IReadOnlyList<DescribedGroupMember> Members);

/// <summary>One member as DescribeGroups shows it; metadata and assignment are empty unless the group is Stable.</summary>
public sealed record DescribedGroupMember(
    string MemberId,
    string? GroupInstanceId,
    string ClientId,
    string ClientHost,
    ReadOnlyMemory<byte> Metadata,
    ReadOnlyMemory<byte> Assignment);
