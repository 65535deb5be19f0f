using Microsoft.Extensions.Logging;
using StreamingPipeline.Protocol;

namespace StreamingPipeline.Broker.Groups;

/// <summary>
/// One consumer group under Kafka's classic protocol: its members, generations and rebalances (the state machine of
/// Kafka's ClassicGroup and GroupMetadataManager, with client-side assignment by the leader).
/// </summary>
/// <remarks>
/// Thread safety: the group is the single owner of its state and every entry point, timer callbacks included, runs under
/// <see cref="_lock"/>. Nothing blocks or awaits under it. The tasks handed to JoinGroup and SyncGroup callers are completed
/// under the lock with <see cref="TaskCreationOptions.RunContinuationsAsynchronously"/>, so no caller code runs inside it.
/// Writes to the <see cref="OffsetStore"/> are enqueued under the lock, so the offsets file sees this group's changes in
/// the order the group made them. Once <see cref="GroupState.Dead"/> the group is out of the coordinator's map and
/// refuses every call (the Try methods return false; the coordinator looks the group up again).
/// </remarks>
internal sealed class ClassicGroup
{
    private static readonly IReadOnlyList<JoinGroupMember> _noMembers = [];

    private readonly Lock _lock = new();
    private readonly GroupCoordinatorOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly OffsetStore _store;
    private readonly Action<ClassicGroup> _removeFromCoordinator;
    private readonly Dictionary<string, GroupMember> _members = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _staticMemberIds = new(StringComparer.Ordinal);
    // Members given an id with MEMBER_ID_REQUIRED that have not joined with it yet, each with its session timer.
    private readonly Dictionary<string, ITimer> _pendingMembers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _pendingSyncMembers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _membersByProtocol = new(StringComparer.Ordinal);
    private GroupState _state = GroupState.Empty;
    private GroupState _previousState = GroupState.Empty;
    private long _stateTimestampMs;
    private int _generationId;
    private string? _protocolType;
    private string? _protocolName;
    private string? _leaderId;
    private int _membersAwaitingJoin;
    private bool _newMemberAdded;
    private ITimer? _joinTimer;
    private long _joinTimerVersion;
    private ITimer? _syncTimer;
    private long _syncTimerVersion;
    // The store's ticket for this group's last offset write (or a later one): expiry waits until it is applied.
    private long _lastOffsetWrite;

    public ClassicGroup(
        string groupId,
        string? protocolType,
        int generationId,
        GroupCoordinatorOptions options,
        TimeProvider time,
        ILogger logger,
        OffsetStore store,
        Action<ClassicGroup> removeFromCoordinator)
    {
        GroupId = groupId;
        _protocolType = protocolType;
        _generationId = generationId;
        _options = options;
        _time = time;
        _logger = logger;
        _store = store;
        _removeFromCoordinator = removeFromCoordinator;
        _stateTimestampMs = NowMs();
    }

    public string GroupId { get; }

    private TimeSpan RebalanceTimeout
    {
        get
        {
            var longest = TimeSpan.Zero;
            foreach (var member in _members.Values)
            {
                if (member.RebalanceTimeout > longest)
                {
                    longest = member.RebalanceTimeout;
                }
            }
            return longest;
        }
    }

    private bool HasAllMembersJoined => _members.Count == _membersAwaitingJoin && _pendingMembers.Count == 0;

    /// <summary>JoinGroup; null when the group is dead.</summary>
    public Task<JoinGroupResult>? Join(JoinGroupRequest request)
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

    /// <summary>SyncGroup; null when the group is dead.</summary>
    public Task<SyncGroupResult>? Sync(SyncGroupRequest request)
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
                            GroupCoordinatorLog.GroupStable(_logger, GroupId, _generationId, _members.Count);
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

    /// <summary>Heartbeat; false when the group is dead.</summary>
    public bool TryHeartbeat(int generationId, string memberId, string? groupInstanceId, out ErrorCode error)
    {
        lock (_lock)
        {
            if (_state == GroupState.Dead)
            {
                error = ErrorCode.None;
                return false;
            }
            error = ValidateMember(memberId, groupInstanceId);
            if (error == ErrorCode.None && generationId != _generationId)
            {
                error = ErrorCode.IllegalGeneration;
            }
            if (error != ErrorCode.None)
            {
                return true;
            }
            var member = _members[memberId];
            switch (_state)
            {
                case GroupState.PreparingRebalance:
                    RescheduleSession(member, member.SessionTimeout);
                    error = ErrorCode.RebalanceInProgress;
                    break;
                case GroupState.CompletingRebalance:
                case GroupState.Stable:
                    // Members may heartbeat between their JoinGroup response and their SyncGroup; that is a normal heartbeat.
                    RescheduleSession(member, member.SessionTimeout);
                    error = ErrorCode.None;
                    break;
                default:
                    error = ErrorCode.UnknownMemberId;
                    break;
            }
            return true;
        }
    }

    /// <summary>LeaveGroup; null when the group is dead.</summary>
    public LeaveGroupResult? Leave(IReadOnlyList<LeaveGroupMember> leaving)
    {
        lock (_lock)
        {
            if (_state == GroupState.Dead)
            {
                return null;
            }
            var results = new List<LeaveGroupMemberResult>(leaving.Count);
            var anyLeft = false;
            foreach (var identity in leaving)
            {
                var error = ErrorCode.None;
                if (identity.MemberId.Length == 0)
                {
                    // Administrative removal of a static member by its instance id alone.
                    if (identity.GroupInstanceId is not null && _staticMemberIds.TryGetValue(identity.GroupInstanceId, out var staticMemberId))
                    {
                        RemoveMember(_members[staticMemberId], "it left the group");
                    }
                    else
                    {
                        error = ErrorCode.UnknownMemberId;
                    }
                }
                else if (_pendingMembers.Remove(identity.MemberId, out var pendingTimer))
                {
                    pendingTimer.Dispose();
                }
                else
                {
                    error = ValidateMember(identity.MemberId, identity.GroupInstanceId);
                    if (error == ErrorCode.None)
                    {
                        RemoveMember(_members[identity.MemberId], "it left the group");
                    }
                }
                anyLeft |= error == ErrorCode.None;
                results.Add(new LeaveGroupMemberResult(identity.MemberId, identity.GroupInstanceId, error));
            }

            if (anyLeft)
            {
                if (_state is GroupState.Stable or GroupState.CompletingRebalance)
                {
                    MaybePrepareRebalanceOrCompleteJoin("members left the group");
                }
                else if (_state == GroupState.PreparingRebalance)
                {
                    MaybeCompleteJoinPhase();
                }
            }
            return new LeaveGroupResult(ErrorCode.None, results);
        }
    }

    /// <summary>
    /// Validates an OffsetCommit and, when valid, enqueues its write (none for an empty <paramref name="offsets"/>);
    /// false when the group is dead.
    /// </summary>
    public bool TryCommitOffsets(
        int generationId, string memberId, string? groupInstanceId, IReadOnlyList<StoredOffset> offsets, out ErrorCode error, out Task? write)
    {
        lock (_lock)
        {
            write = null;
            error = ErrorCode.None;
            if (_state == GroupState.Dead)
            {
                return false;
            }
            error = ValidateOffsetCommit(generationId, memberId, groupInstanceId, transactional: false);
            if (error != ErrorCode.None)
            {
                return true;
            }
            if (_members.TryGetValue(memberId, out var member))
            {
                // A commit shows the member is alive, as a heartbeat would.
                RescheduleSession(member, member.SessionTimeout);
            }
            if (offsets.Count > 0)
            {
                write = TrackOffsetWrite(_store.CommitOffsets(GroupId, offsets));
            }
            return true;
        }
    }

    /// <summary>
    /// Validates a TxnOffsetCommit and, when valid, enqueues the staging of its offsets for <paramref name="producerId"/>;
    /// false when the group is dead.
    /// </summary>
    public bool TryStageTransactionalOffsets(
        long producerId, int generationId, string memberId, string? groupInstanceId, IReadOnlyList<StoredOffset> offsets, out ErrorCode error, out Task? write)
    {
        lock (_lock)
        {
            write = null;
            error = ErrorCode.None;
            if (_state == GroupState.Dead)
            {
                return false;
            }
            error = ValidateOffsetCommit(generationId, memberId, groupInstanceId, transactional: true);
            if (error == ErrorCode.None && offsets.Count > 0)
            {
                write = TrackOffsetWrite(_store.StageTransactionalOffsets(producerId, GroupId, offsets));
            }
            return true;
        }
    }

    /// <summary>The group as ListGroups shows it; null when dead.</summary>
    public ListedGroup? Listing()
    {
        lock (_lock)
        {
            return _state == GroupState.Dead ? null : new ListedGroup(GroupId, _protocolType ?? "", _state);
        }
    }

    /// <summary>The group as DescribeGroups shows it; null when dead.</summary>
    public DescribedGroup? Describe()
    {
        lock (_lock)
        {
            if (_state == GroupState.Dead)
            {
                return null;
            }
            var stable = _state == GroupState.Stable;
            var members = new List<DescribedGroupMember>(_members.Count);
            foreach (var member in _members.Values)
            {
                members.Add(new DescribedGroupMember(
                    member.MemberId,
                    member.GroupInstanceId,
                    member.ClientId,
                    member.ClientHost,
                    stable ? member.MetadataFor(_protocolName!) : ReadOnlyMemory<byte>.Empty,
                    stable ? member.Assignment : ReadOnlyMemory<byte>.Empty));
            }
            return new DescribedGroup(GroupId, ErrorCode.None, _state, _protocolType ?? "", stable ? _protocolName ?? "" : "", members);
        }
    }

    /// <summary>Deletes the group if it has no members: it turns Dead and its stored offsets are removed by <paramref name="write"/>.</summary>
    public ErrorCode TryDelete(out Task? write)
    {
        lock (_lock)
        {
            write = null;
            if (_state == GroupState.Dead)
            {
                return ErrorCode.GroupIdNotFound;
            }
            if (_state != GroupState.Empty)
            {
                return ErrorCode.NonEmptyGroup;
            }
            MarkDead();
            write = _store.DeleteGroup(GroupId);
            GroupCoordinatorLog.GroupRemoved(_logger, GroupId, "it was deleted");
            return ErrorCode.None;
        }
    }

    /// <summary>
    /// Kafka's retention cleanup: removes offsets kept longer than <see cref="GroupCoordinatorOptions.OffsetsRetention"/>
    /// (counted from when the group turned empty, or from the commit for groups that never had members), then the group
    /// itself once it is empty and holds nothing.
    /// </summary>
    public void ExpireOffsets()
    {
        lock (_lock)
        {
            // An offset write still on its way could be undone by a deletion queued behind it; try again next round.
            if (_state == GroupState.Dead || !_store.IsApplied(_lastOffsetWrite))
            {
                return;
            }
            var nowMs = NowMs();
            var retentionMs = (long)_options.OffsetsRetention.TotalMilliseconds;
            var offsets = new List<KeyValuePair<TopicPartitionKey, CommittedOffset>>();
            _store.CopyOffsets(GroupId, offsets);
            var expired = new List<TopicPartitionKey>();
            if (_protocolType is null || _state == GroupState.Empty)
            {
                foreach (var (partition, offset) in offsets)
                {
                    var sinceMs = _protocolType is null ? offset.CommitTimestampMs : _stateTimestampMs;
                    if (nowMs - sinceMs >= retentionMs && !_store.HasPendingTransactionalOffset(GroupId, partition))
                    {
                        expired.Add(partition);
                    }
                }
            }
            if (expired.Count > 0)
            {
                GroupCoordinatorLog.OffsetsExpired(_logger, GroupId, expired.Count);
                Observe(TrackOffsetWrite(_store.DeleteOffsets(GroupId, expired)));
            }
            if (_state == GroupState.Empty && expired.Count == offsets.Count && !_store.HasPendingTransactionalOffsets(GroupId))
            {
                MarkDead();
                Observe(_store.DeleteGroup(GroupId));
                GroupCoordinatorLog.GroupRemoved(_logger, GroupId, "it is empty and its offsets expired");
            }
        }
    }

    /// <summary>Ends the group when the coordinator shuts down: parked calls get NOT_COORDINATOR so clients look for it again.</summary>
    public void Shutdown()
    {
        lock (_lock)
        {
            if (_state == GroupState.Dead)
            {
                return;
            }
            foreach (var member in _members.Values)
            {
                CompleteJoin(member, JoinGroupResult.Failure(ErrorCode.NotCoordinator, member.MemberId));
                CompleteSync(member, SyncGroupResult.Failure(ErrorCode.NotCoordinator));
                member.SessionTimer?.Dispose();
            }
            TransitionTo(GroupState.Dead);
            DisposeTimers();
        }
    }

    private Task<JoinGroupResult> JoinNewMember(JoinGroupRequest request)
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

    private Task<JoinGroupResult> JoinExistingMember(JoinGroupRequest request)
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

    private Task<JoinGroupResult> AddMemberAndRebalance(JoinGroupRequest request, string memberId)
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

    private Task<JoinGroupResult> UpdateMemberAndRebalance(GroupMember member, JoinGroupRequest request, string reason)
    {
        var completion = NewJoinCompletion();
        UpdateMember(member, request, completion);
        MaybePrepareRebalanceOrCompleteJoin(reason);
        return completion.Task;
    }

    private void UpdateMember(GroupMember member, JoinGroupRequest request, TaskCompletionSource<JoinGroupResult> completion)
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
    private Task<JoinGroupResult> ReplaceStaticMember(JoinGroupRequest request, string oldMemberId, string newMemberId)
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
                        ErrorCode.None, _generationId, _protocolType, _protocolName, leaderBefore ?? "", newMemberId, false, _noMembers));
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

    private ErrorCode ValidateMember(string memberId, string? groupInstanceId)
    {
        if (groupInstanceId is not null)
        {
            if (!_staticMemberIds.TryGetValue(groupInstanceId, out var currentMemberId))
            {
                return ErrorCode.UnknownMemberId;
            }
            if (currentMemberId != memberId)
            {
                // Another process with the same instance id took over; this one is a zombie.
                return ErrorCode.FencedInstanceId;
            }
        }
        return _members.ContainsKey(memberId) ? ErrorCode.None : ErrorCode.UnknownMemberId;
    }

    private ErrorCode ValidateOffsetCommit(int generationId, string memberId, string? groupInstanceId, bool transactional)
    {
        if (generationId < 0 && _state == GroupState.Empty)
        {
            // Standalone consumers and admin tools commit without a generation while nobody uses group management.
            return ErrorCode.None;
        }
        if (generationId >= 0 || memberId.Length > 0 || groupInstanceId is not null)
        {
            var error = ValidateMember(memberId, groupInstanceId);
            if (error != ErrorCode.None)
            {
                return error;
            }
            if (generationId != _generationId)
            {
                return ErrorCode.IllegalGeneration;
            }
        }
        else if (!transactional && _state != GroupState.Empty)
        {
            // Only members commit to a group that has members; old transactional producers send no member id at all.
            return ErrorCode.UnknownMemberId;
        }
        if (!transactional && _state == GroupState.CompletingRebalance)
        {
            // The member knows the new generation but has no assignment yet; it retries after its SyncGroup.
            return ErrorCode.RebalanceInProgress;
        }
        return ErrorCode.None;
    }

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
        CancelSyncTimer();
        _pendingSyncMembers.Clear();

        var isInitialRebalance = _state == GroupState.Empty;
        TransitionTo(GroupState.PreparingRebalance);
        GroupCoordinatorLog.PreparingRebalance(_logger, GroupId, _generationId, reason);
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
            ScheduleJoinTimer(RebalanceTimeout, CompleteJoinPhase);
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
        ScheduleJoinTimer(delay, () =>
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
        CancelJoinTimer();
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
            ScheduleJoinTimer(RebalanceTimeout, CompleteJoinPhase);
            return;
        }

        _generationId++;
        _pendingSyncMembers.Clear();
        if (_members.Count == 0)
        {
            _protocolName = null;
            TransitionTo(GroupState.Empty);
            _store.RecordGroup(GroupId, _protocolType, _generationId);
            GroupCoordinatorLog.GroupEmpty(_logger, GroupId, _generationId);
            return;
        }
        _protocolName = SelectProtocol();
        TransitionTo(GroupState.CompletingRebalance);
        _store.RecordGroup(GroupId, _protocolType, _generationId);
        GroupCoordinatorLog.GenerationStarted(_logger, GroupId, _generationId, _members.Count, _protocolName);

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
                member.MemberId == _leaderId ? leaderView : _noMembers));
            RescheduleSession(member, member.SessionTimeout);
            member.IsNew = false;
            _pendingSyncMembers.Add(member.MemberId);
        }
        var generation = _generationId;
        ScheduleSyncTimer(RebalanceTimeout, () => ExpirePendingSync(generation));
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
            CancelSyncTimer();
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

    /// <summary>Removes a member; whatever it waits for fails with UNKNOWN_MEMBER_ID so a live client rejoins.</summary>
    private void RemoveMember(GroupMember member, string reason)
    {
        CompleteJoin(member, JoinGroupResult.Failure(ErrorCode.UnknownMemberId, ""));
        CompleteSync(member, SyncGroupResult.Failure(ErrorCode.UnknownMemberId));
        _members.Remove(member.MemberId);
        CountProtocols(member, -1);
        if (member.GroupInstanceId is not null && _staticMemberIds.GetValueOrDefault(member.GroupInstanceId) == member.MemberId)
        {
            _staticMemberIds.Remove(member.GroupInstanceId);
        }
        if (_leaderId == member.MemberId)
        {
            _leaderId = _members.Count > 0 ? _members.Keys.First() : null;
        }
        _pendingSyncMembers.Remove(member.MemberId);
        member.SessionTimer?.Dispose();
        member.SessionTimer = null;
        member.IsRemoved = true;
        GroupCoordinatorLog.MemberRemoved(_logger, GroupId, member.MemberId, reason);
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

    private JoinGroupResult CurrentGeneration(GroupMember member, bool withMembers) =>
        new(ErrorCode.None, _generationId, _protocolType, _protocolName, _leaderId ?? "", member.MemberId, false, withMembers ? CurrentMembers() : _noMembers);

    private List<JoinGroupMember> CurrentMembers()
    {
        var members = new List<JoinGroupMember>(_members.Count);
        foreach (var member in _members.Values)
        {
            members.Add(new JoinGroupMember(member.MemberId, member.GroupInstanceId, member.MetadataFor(_protocolName!)));
        }
        return members;
    }

    private void RescheduleSession(GroupMember member, TimeSpan timeout)
    {
        member.SessionDeadline = _time.GetTimestamp() + (long)(timeout.TotalSeconds * _time.TimestampFrequency);
        if (member.SessionTimer is null)
        {
            member.SessionTimer = _time.CreateTimer(OnSessionTimer, member, timeout, Timeout.InfiniteTimeSpan);
        }
        else
        {
            member.SessionTimer.Change(timeout, Timeout.InfiniteTimeSpan);
        }
    }

    private void OnSessionTimer(object? state)
    {
        var member = (GroupMember)state!;
        lock (_lock)
        {
            if (_state == GroupState.Dead || member.IsRemoved)
            {
                return;
            }
            var remaining = member.SessionDeadline - _time.GetTimestamp();
            if (remaining > 0)
            {
                // Rescheduled after this callback was already on its way.
                member.SessionTimer?.Change(TimeSpan.FromSeconds((double)remaining / _time.TimestampFrequency), Timeout.InfiniteTimeSpan);
                return;
            }
            if (member.HasSatisfiedHeartbeat)
            {
                // Waiting in a rebalance counts as alive; the session restarts when the rebalance answers the member.
                return;
            }
            RemoveMember(member, "its session timed out");
            if (_state is GroupState.Stable or GroupState.CompletingRebalance)
            {
                MaybePrepareRebalanceOrCompleteJoin($"member {member.MemberId}'s session timed out");
            }
            else if (_state == GroupState.PreparingRebalance && HasAllMembersJoined)
            {
                CompleteJoinPhase();
            }
        }
    }

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

    private void ScheduleJoinTimer(TimeSpan delay, Action onDue)
    {
        CancelJoinTimer();
        var version = _joinTimerVersion;
        _joinTimer = _time.CreateTimer(
            _ =>
            {
                lock (_lock)
                {
                    // A timer replaced or cancelled after its callback started must not act.
                    if (version != _joinTimerVersion || _state == GroupState.Dead)
                    {
                        return;
                    }
                    CancelJoinTimer();
                    onDue();
                }
            },
            null,
            delay,
            Timeout.InfiniteTimeSpan);
    }

    private void CancelJoinTimer()
    {
        _joinTimerVersion++;
        _joinTimer?.Dispose();
        _joinTimer = null;
    }

    private void ScheduleSyncTimer(TimeSpan delay, Action onDue)
    {
        CancelSyncTimer();
        var version = _syncTimerVersion;
        _syncTimer = _time.CreateTimer(
            _ =>
            {
                lock (_lock)
                {
                    if (version != _syncTimerVersion || _state == GroupState.Dead)
                    {
                        return;
                    }
                    CancelSyncTimer();
                    onDue();
                }
            },
            null,
            delay,
            Timeout.InfiniteTimeSpan);
    }

    private void CancelSyncTimer()
    {
        _syncTimerVersion++;
        _syncTimer?.Dispose();
        _syncTimer = null;
    }

    private void TransitionTo(GroupState state)
    {
        _previousState = _state;
        _state = state;
        _stateTimestampMs = NowMs();
    }

    /// <summary>Turns the group Dead and takes it out of the coordinator's map before the lock is released.</summary>
    private void MarkDead()
    {
        TransitionTo(GroupState.Dead);
        DisposeTimers();
        _removeFromCoordinator(this);
    }

    private void DisposeTimers()
    {
        CancelJoinTimer();
        CancelSyncTimer();
        foreach (var timer in _pendingMembers.Values)
        {
            timer.Dispose();
        }
        _pendingMembers.Clear();
    }

    private Task TrackOffsetWrite(Task write)
    {
        _lastOffsetWrite = _store.LastEnqueuedTicket;
        return write;
    }

    private void Observe(Task write) =>
        _ = write.ContinueWith(
            static (task, state) =>
            {
                var group = (ClassicGroup)state!;
                GroupCoordinatorLog.BackgroundWriteFailed(group._logger, group.GroupId, task.Exception!.GetBaseException());
            },
            this,
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);

    private long NowMs() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private static TaskCompletionSource<JoinGroupResult> NewJoinCompletion() =>
        new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static bool IsInconsistent(string? requested, string? current) =>
        requested is not null && current is not null && requested != current;

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
