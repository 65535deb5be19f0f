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
public sealed record JoinGroupRequest(
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
