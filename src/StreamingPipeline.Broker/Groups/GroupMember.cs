namespace StreamingPipeline.Broker.Groups;

/// <summary>
/// One member of a <see cref="ClassicGroup"/>. Not thread-safe: only its group touches it, under the group's lock.
/// </summary>
internal sealed class GroupMember
{
    public GroupMember(
        string memberId,
        string? groupInstanceId,
        string clientId,
        string clientHost,
        string protocolType,
        IReadOnlyList<MemberProtocol> protocols,
        TimeSpan rebalanceTimeout,
        TimeSpan sessionTimeout)
    {
        MemberId = memberId;
        GroupInstanceId = groupInstanceId;
        ClientId = clientId;
        ClientHost = clientHost;
        ProtocolType = protocolType;
        Protocols = protocols;
        RebalanceTimeout = rebalanceTimeout;
        SessionTimeout = sessionTimeout;
    }

    public string MemberId { get; }

    public string? GroupInstanceId { get; }

    public string ClientId { get; }

    public string ClientHost { get; }

    public string ProtocolType { get; }

    /// <summary>The protocols the member supports, most preferred first.</summary>
    public IReadOnlyList<MemberProtocol> Protocols { get; set; }

    public TimeSpan RebalanceTimeout { get; set; }

    public TimeSpan SessionTimeout { get; set; }

    /// <summary>The member's parked JoinGroup, completed when the join phase ends.</summary>
    public TaskCompletionSource<JoinGroupResult>? AwaitingJoin { get; set; }

    /// <summary>The member's parked SyncGroup, completed when the leader's assignment arrives.</summary>
    public TaskCompletionSource<SyncGroupResult>? AwaitingSync { get; set; }

    public byte[] Assignment { get; set; } = [];

    /// <summary>True from the member's first join until that join completes; such a member has no session yet.</summary>
    public bool IsNew { get; set; }

    /// <summary>Set once the member left the group, so a late timer callback leaves it alone.</summary>
    public bool IsRemoved { get; set; }

    public ITimer? SessionTimer { get; set; }

    /// <summary>When the session ends without another heartbeat, as a <see cref="TimeProvider.GetTimestamp"/> value.</summary>
    public long SessionDeadline { get; set; }

    /// <summary>
    /// Whether an expired session timer should spare the member: one waiting in a rebalance is alive by definition,
    /// unless it is new (it never had a session, and its parked join may belong to a client that gave up).
    /// </summary>
    public bool HasSatisfiedHeartbeat => !IsNew && (AwaitingJoin is not null || AwaitingSync is not null);

    /// <summary>The same member under a new id: a static member that rejoined without its old id replaces itself.</summary>
    public GroupMember WithMemberId(string memberId) =>
        new(memberId, GroupInstanceId, ClientId, ClientHost, ProtocolType, Protocols, RebalanceTimeout, SessionTimeout)
        {
            Assignment = Assignment,
        };

    /// <summary>Whether the member sent exactly these protocols and metadata before.</summary>
    public bool Matches(IReadOnlyList<JoinGroupProtocol> protocols)
    {
        if (protocols.Count != Protocols.Count)
        {
            return false;
        }
        for (var i = 0; i < protocols.Count; i++)
        {
            if (protocols[i].Name != Protocols[i].Name || !protocols[i].Metadata.Span.SequenceEqual(Protocols[i].Metadata))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>The member's most preferred protocol among <paramref name="candidates"/>.</summary>
    public string Vote(IReadOnlySet<string> candidates)
    {
        foreach (var protocol in Protocols)
        {
            if (candidates.Contains(protocol.Name))
            {
                return protocol.Name;
            }
        }
        throw new InvalidOperationException($"Member {MemberId} supports none of the candidate protocols.");
    }

    public byte[] MetadataFor(string protocolName)
    {
        foreach (var protocol in Protocols)
        {
            if (protocol.Name == protocolName)
            {
                return protocol.Metadata;
            }
        }
        return [];
    }
}
