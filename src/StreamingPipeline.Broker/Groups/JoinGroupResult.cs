using StreamingPipeline.Protocol;

namespace StreamingPipeline.Broker.Groups;

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
