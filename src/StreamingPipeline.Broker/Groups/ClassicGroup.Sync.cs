using StreamingPipeline.Protocol;

namespace StreamingPipeline.Broker.Groups;

// The sync phase: the leader's assignment reaches the members, and members that never sync are dropped.
internal sealed partial class ClassicGroup
{
    /// <summary>SyncGroup; null when the group is dead.</summary>
    public Task<SyncGroupResult>? Sync(SyncGroupCall request)
    {
        lock (_lock)
        {
            if (_state == GroupState.Dead)
            {
                return null;
            }
            if (_state == GroupState.Empty)
            {
                return Task.FromResult(SyncGroupResult.Failure(ErrorCode.UnknownMemberId));
            }
            var error = ValidateMember(request.MemberId, request.GroupInstanceId);
            if (error == ErrorCode.None && request.GenerationId != _generationId)
            {
                error = ErrorCode.IllegalGeneration;
            }
            if (error == ErrorCode.None && (IsInconsistent(request.ProtocolType, _protocolType) || IsInconsistent(request.ProtocolName, _protocolName)))
            {
                error = ErrorCode.InconsistentGroupProtocol;
            }
            if (error != ErrorCode.None)
            {
                return Task.FromResult(SyncGroupResult.Failure(error));
            }

            var member = _members[request.MemberId];
            switch (_state)
            {
                case GroupState.PreparingRebalance:
                    return Task.FromResult(SyncGroupResult.Failure(ErrorCode.RebalanceInProgress));
                case GroupState.CompletingRebalance:
                    {
                        var completion = new TaskCompletionSource<SyncGroupResult>(TaskCreationOptions.RunContinuationsAsynchronously);
                        // A retried SyncGroup replaces the parked one, whose connection is most likely gone.
                        member.AwaitingSync?.TrySetResult(SyncGroupResult.Failure(ErrorCode.RebalanceInProgress));
                        member.AwaitingSync = completion;
                        RemovePendingSyncMember(member.MemberId);
                        if (member.MemberId == _leaderId)
                        {
                            SetAndPropagateAssignment(request.Assignments);
                            TransitionTo(GroupState.Stable);
                            GroupCoordinatorLogMessages.GroupStable(_logger, GroupId, _generationId, _members.Count);
                        }
                        return completion.Task;
                    }
                default:
                    RemovePendingSyncMember(member.MemberId);
                    RescheduleSession(member, member.SessionTimeout);
                    return Task.FromResult(new SyncGroupResult(ErrorCode.None, _protocolType, _protocolName, member.Assignment));
            }
        }
    }

    /// <summary>Members that got the new generation but sent no SyncGroup within the rebalance timeout are dropped.</summary>
    private void ExpirePendingSync(int generationId)
    {
        if (generationId != _generationId || _state is not (GroupState.CompletingRebalance or GroupState.Stable) || _pendingSyncMembers.Count == 0)
        {
            return;
        }
        foreach (var memberId in _pendingSyncMembers.ToList())
        {
            if (_members.TryGetValue(memberId, out var member))
            {
                RemoveMember(member, "it did not sync before the rebalance timeout");
            }
        }
        PrepareRebalance("members did not sync before the rebalance timeout");
    }

    private void RemovePendingSyncMember(string memberId)
    {
        _pendingSyncMembers.Remove(memberId);
        if (_pendingSyncMembers.Count == 0)
        {
            _syncTimer.Cancel();
        }
    }

    private void SetAndPropagateAssignment(IReadOnlyList<SyncGroupAssignment> assignments)
    {
        var byMember = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var assignment in assignments)
        {
            byMember[assignment.MemberId] = assignment.Assignment.ToArray();
        }
        foreach (var member in _members.Values)
        {
            // Members the leader left out get an empty assignment, as in Kafka.
            member.Assignment = byMember.GetValueOrDefault(member.MemberId) ?? [];
        }
        PropagateAssignment(ErrorCode.None);
    }

    private void ResetAndPropagateAssignmentError(ErrorCode error)
    {
        foreach (var member in _members.Values)
        {
            member.Assignment = [];
        }
        PropagateAssignment(error);
    }

    private void PropagateAssignment(ErrorCode error)
    {
        foreach (var member in _members.Values)
        {
            var result = error == ErrorCode.None
                ? new SyncGroupResult(ErrorCode.None, _protocolType, _protocolName, member.Assignment)
                : SyncGroupResult.Failure(error);
            if (CompleteSync(member, result))
            {
                // The member's session starts over from its answer, whatever it waited for meanwhile.
                RescheduleSession(member, member.SessionTimeout);
            }
        }
    }

    private static bool CompleteSync(GroupMember member, SyncGroupResult result)
    {
        if (member.AwaitingSync is not { } completion)
        {
            return false;
        }
        member.AwaitingSync = null;
        completion.TrySetResult(result);
        return true;
    }

    private static bool IsInconsistent(string? requested, string? current) =>
        requested is not null && current is not null && requested != current;
}
