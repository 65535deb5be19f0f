using StreamingPipeline.Protocol;

namespace StreamingPipeline.Broker.Groups;

// The rebalance: preparing it, the initial delay, and ending the join phase with a new generation and its leader.
internal sealed partial class ClassicGroup
{
    private void MaybePrepareRebalanceOrCompleteJoin(string reason)
    {
        if (_state is GroupState.Empty or GroupState.Stable or GroupState.CompletingRebalance)
        {
            PrepareRebalance(reason);
        }
        else
        {
            MaybeCompleteJoinPhase();
        }
    }

    private void PrepareRebalance(string reason)
    {
        if (_state == GroupState.CompletingRebalance)
        {
            ResetAndPropagateAssignmentError(ErrorCode.RebalanceInProgress);
        }
        _syncTimer.Cancel();
        _pendingSyncMembers.Clear();

        var isInitialRebalance = _state == GroupState.Empty;
        TransitionTo(GroupState.PreparingRebalance);
        GroupCoordinatorLogMessages.PreparingRebalance(_logger, GroupId, _generationId, reason);
        if (isInitialRebalance)
        {
            var delay = _options.InitialRebalanceDelay;
            var remaining = RebalanceTimeout - delay;
            ScheduleInitialRebalance(delay, remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero);
        }
        else if (HasAllMembersJoined)
        {
            CompleteJoinPhase();
        }
        else
        {
            _joinTimer.Schedule(RebalanceTimeout, CompleteJoinPhase);
        }
    }

    /// <summary>
    /// The first rebalance of an empty group waits <paramref name="delay"/>, and again (up to the rebalance timeout)
    /// each time a new member arrived meanwhile, so members starting together share the first generation.
    /// </summary>
    private void ScheduleInitialRebalance(TimeSpan delay, TimeSpan remaining)
    {
        if (delay <= TimeSpan.Zero)
        {
            CompleteJoinPhase();
            return;
        }
        _joinTimer.Schedule(delay, () =>
        {
            if (_newMemberAdded && remaining > TimeSpan.Zero)
            {
                _newMemberAdded = false;
                var nextDelay = remaining < _options.InitialRebalanceDelay ? remaining : _options.InitialRebalanceDelay;
                var nextRemaining = remaining - delay;
                ScheduleInitialRebalance(nextDelay, nextRemaining > TimeSpan.Zero ? nextRemaining : TimeSpan.Zero);
            }
            else
            {
                CompleteJoinPhase();
            }
        });
    }

    private void MaybeCompleteJoinPhase()
    {
        // The first rebalance only ends when its delay does, so that members arriving together share a generation.
        if (_state == GroupState.PreparingRebalance && _previousState != GroupState.Empty && HasAllMembersJoined)
        {
            CompleteJoinPhase();
        }
    }

    /// <summary>
    /// Ends the join phase: drops the dynamic members that did not rejoin, starts the next generation and answers every
    /// parked JoinGroup (the leader's answer lists all members with their metadata).
    /// </summary>
    private void CompleteJoinPhase()
    {
        _joinTimer.Cancel();
        var notRejoined = new List<GroupMember>();
        foreach (var member in _members.Values)
        {
            if (member.AwaitingJoin is null && member.GroupInstanceId is null)
            {
                notRejoined.Add(member);
            }
        }
        foreach (var member in notRejoined)
        {
            RemoveMember(member, "it did not rejoin before the rebalance timeout");
        }
        if (_state == GroupState.Dead)
        {
            return;
        }
        if (!MaybeElectJoinedLeader() && _members.Count > 0)
        {
            // Only static members that did not rejoin are left; wait for them or for their sessions to end.
            _joinTimer.Schedule(RebalanceTimeout, CompleteJoinPhase);
            return;
        }

        _generationId++;
        _pendingSyncMembers.Clear();
        if (_members.Count == 0)
        {
            _protocolName = null;
            TransitionTo(GroupState.Empty);
            _store.RecordGroup(GroupId, _protocolType, _generationId);
            GroupCoordinatorLogMessages.GroupEmpty(_logger, GroupId, _generationId);
            return;
        }
        _protocolName = SelectProtocol();
        TransitionTo(GroupState.CompletingRebalance);
        _store.RecordGroup(GroupId, _protocolType, _generationId);
        GroupCoordinatorLogMessages.GenerationStarted(_logger, GroupId, _generationId, _members.Count, _protocolName);

        var leaderView = CurrentMembers();
        foreach (var member in _members.Values)
        {
            CompleteJoin(member, new JoinGroupResult(
                ErrorCode.None,
                _generationId,
                _protocolType,
                _protocolName,
                _leaderId!,
                member.MemberId,
                false,
                member.MemberId == _leaderId ? leaderView : NoMembers));
            RescheduleSession(member, member.SessionTimeout);
            member.IsNew = false;
            _pendingSyncMembers.Add(member.MemberId);
        }
        var generation = _generationId;
        _syncTimer.Schedule(RebalanceTimeout, () => ExpirePendingSync(generation));
    }

    /// <summary>Keeps the leader if it rejoined, else picks a member that did; false when nobody rejoined.</summary>
    private bool MaybeElectJoinedLeader()
    {
        if (_leaderId is null)
        {
            return false;
        }
        if (_members[_leaderId].AwaitingJoin is not null)
        {
            return true;
        }
        foreach (var member in _members.Values)
        {
            if (member.AwaitingJoin is not null)
            {
                _leaderId = member.MemberId;
                return true;
            }
        }
        return false;
    }

    private List<JoinGroupMember> CurrentMembers()
    {
        var members = new List<JoinGroupMember>(_members.Count);
        foreach (var member in _members.Values)
        {
            members.Add(new JoinGroupMember(member.MemberId, member.GroupInstanceId, member.MetadataFor(_protocolName!)));
        }
        return members;
    }
}
