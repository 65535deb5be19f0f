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
/// The class is split by phase, all parts sharing the state and the lock declared here: ClassicGroup.Join.cs (JoinGroup),
/// ClassicGroup.Rebalance.cs (preparing a rebalance up to the new generation), ClassicGroup.Sync.cs (the leader's
/// assignment), ClassicGroup.Offsets.cs (commits, deletion and retention); this file holds membership and sessions.
/// </remarks>
internal sealed partial class ClassicGroup
{
    private static readonly IReadOnlyList<JoinGroupMember> NoMembers = [];

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
    private readonly GroupPhaseTimer _joinTimer;
    private readonly GroupPhaseTimer _syncTimer;
    private GroupState _state = GroupState.Empty;
    private GroupState _previousState = GroupState.Empty;
    private long _stateTimestampMs;
    private int _generationId;
    private string? _protocolType;
    private string? _protocolName;
    private string? _leaderId;
    private int _membersAwaitingJoin;
    private bool _newMemberAdded;
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
        _joinTimer = new GroupPhaseTimer(time, _lock, IsDead);
        _syncTimer = new GroupPhaseTimer(time, _lock, IsDead);
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
        GroupCoordinatorLogMessages.MemberRemoved(_logger, GroupId, member.MemberId, reason);
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
        _joinTimer.Cancel();
        _syncTimer.Cancel();
        foreach (var timer in _pendingMembers.Values)
        {
            timer.Dispose();
        }
        _pendingMembers.Clear();
    }

    private long NowMs() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private bool IsDead() => _state == GroupState.Dead;
}
