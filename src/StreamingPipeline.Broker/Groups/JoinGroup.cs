using StreamingPipeline.Protocol;

namespace StreamingPipeline.Broker.Groups;

/// <summary>A JoinGroup call in plain values, as a handler decoded it from any JoinGroup version.</summary>
/// <param name="GroupId">The group to join.</param>
/// <param name="MemberId">Empty for a member without an id yet, else the id the coordinator gave it.</param>
/// <param name="GroupInstanceId">The static member's instance id (JoinGroup v5+), or null for a dynamic member.</param>
/// <param name="ProtocolType">The kind of group, <c>consumer</c> for Kafka consumers.</param>
/// <param name="Protocols">The assignment protocols the member supports, most preferred first.</param>
/// <param name="SessionTimeout">How long the member may go without a heartbeat.</param>
/// <param name="RebalanceTimeout">How long a rebalance waits for the member to rejoin (JoinGroup v0 has none: pass the session timeout).</param>
/// <param name="ClientId">The client id from the request header; generated member ids start with it.</param>
/// <param name="ClientHost">The client's address, shown by DescribeGroups.</param>
/// <param name="RequireKnownMemberId">
/// True for JoinGroup v4+: a member without an id gets <see cref="ErrorCode.MemberIdRequired"/> and a fresh id to rejoin with.
/// </param>
public sealed record JoinGroupCall(
    string GroupId,
    string MemberId,
    string? GroupInstanceId,
    string ProtocolType,
    IReadOnlyList<JoinGroupProtocol> Protocols,
    TimeSpan SessionTimeout,
    TimeSpan RebalanceTimeout,
    string ClientId,
    string ClientHost,
    bool RequireKnownMemberId);

/// <summary>One assignment protocol a joining member supports (e.g. <c>range</c>), with its opaque subscription metadata.</summary>
/// <param name="Name">The protocol name, in the member's order of preference within the request.</param>
/// <param name="Metadata">The member's metadata for this protocol; the coordinator copies it.</param>
public sealed record JoinGroupProtocol(string Name, ReadOnlyMemory<byte> Metadata);

/// <summary>The answer to a JoinGroup call, field for field the JoinGroup response.</summary>
/// <param name="Error">None, or why the member did not join (MemberIdRequired carries the id to rejoin with in <paramref name="MemberId"/>).</param>
/// <param name="GenerationId">The generation the member joined, or -1 on error.</param>
/// <param name="ProtocolType">The group's protocol type, or null on error.</param>
/// <param name="ProtocolName">The selected assignment protocol, or null on error.</param>
/// <param name="LeaderId">The leader's member id, or empty on error.</param>
/// <param name="MemberId">The member's id (empty when an unknown member is rejected).</param>
/// <param name="SkipAssignment">Always false: this coordinator never asks a static leader to skip the assignment.</param>
/// <param name="Members">All members with their metadata for the leader; empty for followers.</param>
public sealed record JoinGroupResult(
    ErrorCode Error,
    int GenerationId,
    string? ProtocolType,
    string? ProtocolName,
    string LeaderId,
    string MemberId,
    bool SkipAssignment,
    IReadOnlyList<JoinGroupMember> Members)
{
    /// <summary>A result carrying only an error and the member id to report.</summary>
    public static JoinGroupResult Failure(ErrorCode error, string memberId) =>
        new(error, -1, null, null, "", memberId, false, []);
}

/// <summary>A member of the new generation as the leader sees it, with its metadata for the selected protocol.</summary>
public sealed record JoinGroupMember(string MemberId, string? GroupInstanceId, ReadOnlyMemory<byte> Metadata);
