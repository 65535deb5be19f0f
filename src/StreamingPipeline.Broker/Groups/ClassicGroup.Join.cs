using StreamingPipeline.Protocol;

namespace StreamingPipeline.Broker.Groups;

// The join phase: JoinGroup from new, returning and static members, and which protocols the group can agree on.
internal sealed partial class ClassicGroup
{
    /// <summary>JoinGroup; null when the group is dead.</summary>
    public Task<JoinGroupResult>? Join(JoinGroupCall request)
    {
        lock (_lock)
        {
            if (_state == GroupState.Dead)
            {
                return null;
            }
            if (!AcceptsJoiningMember(request.MemberId))
            {
                // Only reachable while preparing a rebalance: a member that has not rejoined yet loses its place.
                if (_members.TryGetValue(request.MemberId, out var rejected))
                {
                    RemoveMember(rejected, "the group is full");
                    MaybeCompleteJoinPhase();
                }
                return Task.FromResult(JoinGroupResult.Failure(ErrorCode.GroupMaxSizeReached, ""));
            }
            return request.MemberId.Length == 0 ? JoinNewMember(request) : JoinExistingMember(request);
        }
    }

    private Task<JoinGroupResult> JoinNewMember(JoinGroupCall request)
    {
        if (!SupportsProtocols(request.ProtocolType, request.Protocols))
        {
            return Task.FromResult(JoinGroupResult.Failure(ErrorCode.InconsistentGroupProtocol, ""));
        }
        var memberId = $"{request.GroupInstanceId ?? request.ClientId}-{Guid.NewGuid()}";
        if (request.GroupInstanceId is not null)
        {
            return _staticMemberIds.TryGetValue(request.GroupInstanceId, out var existingMemberId)
                ? ReplaceStaticMember(request, existingMemberId, memberId)
                : AddMemberAndRebalance(request, memberId);
        }
        if (request.RequireKnownMemberId)
        {
            // The member must come back with this id; until then it holds up a rebalance like a member would.
            _pendingMembers[memberId] = _time.CreateTimer(OnPendingMemberExpired, memberId, request.SessionTimeout, Timeout.InfiniteTimeSpan);
            return Task.FromResult(JoinGroupResult.Failure(ErrorCode.MemberIdRequired, memberId));
        }
        return AddMemberAndRebalance(request, memberId);
    }

    private Task<JoinGroupResult> JoinExistingMember(JoinGroupCall request)
    {
        var memberId = request.MemberId;
        if (!SupportsProtocols(request.ProtocolType, request.Protocols))
        {
            return Task.FromResult(JoinGroupResult.Failure(ErrorCode.InconsistentGroupProtocol, memberId));
        }
        if (_pendingMembers.ContainsKey(memberId))
        {
            // Ids handed out with MEMBER_ID_REQUIRED are for dynamic members only.
            if (request.GroupInstanceId is not null)
            {
                return Task.FromResult(JoinGroupResult.Failure(ErrorCode.UnknownMemberId, memberId));
            }
            _pendingMembers.Remove(memberId, out var pendingTimer);
            pendingTimer!.Dispose();
            return AddMemberAndRebalance(request, memberId);
        }
        var error = ValidateMember(memberId, request.GroupInstanceId);
        if (error != ErrorCode.None)
        {
            return Task.FromResult(JoinGroupResult.Failure(error, memberId));
        }

        var member = _members[memberId];
        switch (_state)
        {
            case GroupState.PreparingRebalance:
                return UpdateMemberAndRebalance(member, request, $"member {memberId} rejoined");
            case GroupState.CompletingRebalance:
                // Same metadata: the member most likely lost its JoinGroup response, so it gets the current generation again.
                return member.Matches(request.Protocols)
                    ? Task.FromResult(CurrentGeneration(member, withMembers: member.MemberId == _leaderId))
                    : UpdateMemberAndRebalance(member, request, $"member {memberId} changed its metadata");
            case GroupState.Stable:
                // A rejoining leader forces a rebalance: that is how it reacts to changes the metadata does not show.
                if (member.MemberId == _leaderId || !member.Matches(request.Protocols))
                {
                    return UpdateMemberAndRebalance(member, request, $"member {memberId} rejoined a stable group");
                }
                return Task.FromResult(CurrentGeneration(member, withMembers: false));
            default:
                return Task.FromResult(JoinGroupResult.Failure(ErrorCode.UnknownMemberId, memberId));
        }
    }

    private Task<JoinGroupResult> AddMemberAndRebalance(JoinGroupCall request, string memberId)
    {
        var member = new GroupMember(
            memberId,
            request.GroupInstanceId,
            request.ClientId,
            request.ClientHost,
            request.ProtocolType,
            CopyProtocols(request.Protocols),
            request.RebalanceTimeout,
            request.SessionTimeout)
        {
            IsNew = true,
        };
        if (_state == GroupState.PreparingRebalance && _previousState == GroupState.Empty)
        {
            // Another member arrived during the first rebalance: the initial delay is extended for it.
            _newMemberAdded = true;
        }
        var completion = NewJoinCompletion();
        if (member.GroupInstanceId is not null)
        {
            _staticMemberIds[member.GroupInstanceId] = memberId;
        }
        if (_members.Count == 0)
        {
            _protocolType = member.ProtocolType;
        }
        _leaderId ??= memberId;
        _members.Add(memberId, member);
        CountProtocols(member, +1);
        member.AwaitingJoin = completion;
        _membersAwaitingJoin++;
        // A new member cannot heartbeat while its join is parked, so it gets the longer new-member timeout instead.
        RescheduleSession(member, _options.NewMemberJoinTimeout);
        MaybePrepareRebalanceOrCompleteJoin($"member {memberId} joined");
        return completion.Task;
    }

    private Task<JoinGroupResult> UpdateMemberAndRebalance(GroupMember member, JoinGroupCall request, string reason)
    {
        var completion = NewJoinCompletion();
        UpdateMember(member, request, completion);
        MaybePrepareRebalanceOrCompleteJoin(reason);
        return completion.Task;
    }

    private void UpdateMember(GroupMember member, JoinGroupCall request, TaskCompletionSource<JoinGroupResult> completion)
    {
        CountProtocols(member, -1);
        member.Protocols = CopyProtocols(request.Protocols);
        CountProtocols(member, +1);
        member.RebalanceTimeout = request.RebalanceTimeout;
        member.SessionTimeout = request.SessionTimeout;
        if (member.AwaitingJoin is { } previous)
        {
            // A retried JoinGroup replaces the parked one, whose connection is most likely gone.
            previous.TrySetResult(JoinGroupResult.Failure(ErrorCode.RebalanceInProgress, member.MemberId));
        }
        else
        {
            _membersAwaitingJoin++;
        }
        member.AwaitingJoin = completion;
    }

    /// <summary>A static member came back without its member id: the new id replaces the old one, which is fenced.</summary>
    private Task<JoinGroupResult> ReplaceStaticMember(JoinGroupCall request, string oldMemberId, string newMemberId)
    {
        var leaderBefore = _leaderId;
        var old = _members[oldMemberId];
        _members.Remove(oldMemberId);
        CompleteJoin(old, JoinGroupResult.Failure(ErrorCode.FencedInstanceId, oldMemberId));
        CompleteSync(old, SyncGroupResult.Failure(ErrorCode.FencedInstanceId));
        old.SessionTimer?.Dispose();
        old.IsRemoved = true;

        var member = old.WithMemberId(newMemberId);
        _members.Add(newMemberId, member);
        _staticMemberIds[request.GroupInstanceId!] = newMemberId;
        if (_leaderId == oldMemberId)
        {
            _leaderId = newMemberId;
        }
        if (_pendingSyncMembers.Remove(oldMemberId))
        {
            _pendingSyncMembers.Add(newMemberId);
        }
        RescheduleSession(member, member.SessionTimeout);
        var completion = NewJoinCompletion();
        UpdateMember(member, request, completion);

        var reason = $"static member {request.GroupInstanceId} rejoined as {newMemberId}";
        switch (_state)
        {
            case GroupState.Stable:
                if (SelectProtocol() == _protocolName)
                {
                    // Nothing the assignment depends on changed: the member keeps its assignment without a rebalance.
                    // It is told the previous leader's id, so even a returning leader syncs as a follower and gets it.
                    CompleteJoin(member, new JoinGroupResult(
                        ErrorCode.None, _generationId, _protocolType, _protocolName, leaderBefore ?? "", newMemberId, false, NoMembers));
                }
                else
                {
                    MaybePrepareRebalanceOrCompleteJoin(reason);
                }
                break;
            case GroupState.CompletingRebalance:
                // The leader may be assigning to the old id; only a new rebalance gets the new id an assignment.
                PrepareRebalance(reason);
                break;
            default:
                MaybeCompleteJoinPhase();
                break;
        }
        return completion.Task;
    }

    private bool AcceptsJoiningMember(string memberId) => _state switch
    {
        // Counting awaiting members lets a shrunk limit push out the members that rejoin last.
        GroupState.PreparingRebalance =>
            (_members.TryGetValue(memberId, out var member) && member.AwaitingJoin is not null) || _membersAwaitingJoin < _options.MaxGroupSize,
        GroupState.CompletingRebalance or GroupState.Stable => _members.ContainsKey(memberId) || _members.Count < _options.MaxGroupSize,
        _ => true,
    };

    private bool SupportsProtocols(string protocolType, IReadOnlyList<JoinGroupProtocol> protocols)
    {
        if (protocolType.Length == 0 || protocols.Count == 0)
        {
            return false;
        }
        if (_state == GroupState.Empty)
        {
            return true;
        }
        if (protocolType != _protocolType)
        {
            return false;
        }
        foreach (var protocol in protocols)
        {
            if (_membersByProtocol.GetValueOrDefault(protocol.Name) == _members.Count)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The protocol supported by every member that most members prefer (Kafka's vote); ties go to the smaller name.</summary>
    private string SelectProtocol()
    {
        var candidates = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, count) in _membersByProtocol)
        {
            if (count == _members.Count)
            {
                candidates.Add(name);
            }
        }
        var votes = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var member in _members.Values)
        {
            var vote = member.Vote(candidates);
            votes[vote] = votes.GetValueOrDefault(vote) + 1;
        }
        string? selected = null;
        var most = 0;
        foreach (var (name, count) in votes)
        {
            if (count > most || (count == most && string.CompareOrdinal(name, selected) < 0))
            {
                selected = name;
                most = count;
            }
        }
        return selected!;
    }

    private void CountProtocols(GroupMember member, int delta)
    {
        foreach (var protocol in member.Protocols)
        {
            var count = _membersByProtocol.GetValueOrDefault(protocol.Name) + delta;
            if (count == 0)
            {
                _membersByProtocol.Remove(protocol.Name);
            }
            else
            {
                _membersByProtocol[protocol.Name] = count;
            }
        }
    }

    private bool CompleteJoin(GroupMember member, JoinGroupResult result)
    {
        if (member.AwaitingJoin is not { } completion)
        {
            return false;
        }
        member.AwaitingJoin = null;
        _membersAwaitingJoin--;
        completion.TrySetResult(result);
        return true;
    }

    private JoinGroupResult CurrentGeneration(GroupMember member, bool withMembers) =>
        new(ErrorCode.None, _generationId, _protocolType, _protocolName, _leaderId ?? "", member.MemberId, false, withMembers ? CurrentMembers() : NoMembers);

    private void OnPendingMemberExpired(object? state)
    {
        var memberId = (string)state!;
        lock (_lock)
        {
            if (_state == GroupState.Dead || !_pendingMembers.Remove(memberId, out var timer))
            {
                return;
            }
            timer.Dispose();
            if (_state == GroupState.PreparingRebalance && HasAllMembersJoined)
            {
                CompleteJoinPhase();
            }
        }
    }

    private static TaskCompletionSource<JoinGroupResult> NewJoinCompletion() =>
        new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static MemberProtocol[] CopyProtocols(IReadOnlyList<JoinGroupProtocol> protocols)
    {
        var copies = new MemberProtocol[protocols.Count];
        for (var i = 0; i < copies.Length; i++)
        {
            copies[i] = new MemberProtocol(protocols[i].Name, protocols[i].Metadata.ToArray());
        }
        return copies;
    }
}
