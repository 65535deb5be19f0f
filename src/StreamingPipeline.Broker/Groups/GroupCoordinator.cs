using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using StreamingPipeline.Broker.Log;
using StreamingPipeline.Protocol;

namespace StreamingPipeline.Broker.Groups;

/// <summary>
/// The broker's group coordinator: consumer groups under Kafka's classic protocol (client-side assignment) and their
/// committed offsets, which survive a restart. Handlers translate wire messages into these calls and the results back.
/// </summary>
/// <remarks>
/// <para>Thread safety: every method may be called from any number of connections at once. Each group has one owner, its
/// own lock (see <see cref="ClassicGroup"/>); the offsets file has one writer loop (see <see cref="OffsetStore"/>).</para>
/// <para>Durable: committed offsets, offsets staged by open transactions, and each group's protocol type and generation,
/// so an empty group with offsets is still there after a restart. Membership is not durable: after a restart members
/// get UNKNOWN_MEMBER_ID and rejoin, as after a coordinator move in Kafka.</para>
/// <para>Not checked here, because the coordinator does not know the topics: whether a committed topic partition exists
/// (Kafka answers UNKNOWN_TOPIC_OR_PARTITION from the handler).</para>
/// </remarks>
internal sealed class GroupCoordinator : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, ClassicGroup> _groups = new(StringComparer.Ordinal);
    private readonly OffsetStore _store;
    private readonly GroupCoordinatorOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ITimer _retentionTimer;
    private int _disposed;

    private GroupCoordinator(OffsetStore store, GroupCoordinatorOptions options, TimeProvider time, ILogger logger)
    {
        _store = store;
        _options = options;
        _time = time;
        _logger = logger;
        foreach (var groupId in store.GroupIds)
        {
            store.TryGetGroupRecord(groupId, out var protocolType, out var generationId);
            _groups[groupId] = NewGroup(groupId, protocolType, generationId);
        }
        _retentionTimer = time.CreateTimer(
            static state => ((GroupCoordinator)state!).ExpireOffsets(), this, options.OffsetsRetentionCheckInterval, options.OffsetsRetentionCheckInterval);
    }

    private bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>
    /// Opens the coordinator on <paramref name="offsetsDirectory"/> (e.g. <c>&lt;dataDir&gt;/__consumer_offsets</c>, created if
    /// missing), recovering the committed offsets stored there.
    /// </summary>
    public static async Task<GroupCoordinator> OpenAsync(
        string offsetsDirectory, GroupCoordinatorOptions options, TimeProvider time, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(offsetsDirectory);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        if (options.MinSessionTimeout > options.MaxSessionTimeout)
        {
            throw new ArgumentException("The minimum session timeout is above the maximum.", nameof(options));
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(options.InitialRebalanceDelay, TimeSpan.Zero, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxGroupSize, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfNegative(options.OffsetMetadataMaxBytes, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.OffsetsRetentionCheckInterval, TimeSpan.Zero, nameof(options));

        var store = await OffsetStore.OpenAsync(offsetsDirectory, options, logger, cancellationToken);
        return new GroupCoordinator(store, options, time, logger);
    }

    /// <summary>
    /// JoinGroup. Completes when the member is in the next generation (or at once on error). If the caller gives up
    /// (<paramref name="cancellationToken"/>), the member stays in the rebalance until the rebalance or its session ends, as
    /// in Kafka where a parked JoinGroup outlives its connection.
    /// </summary>
    public async Task<JoinGroupResult> JoinGroupAsync(JoinGroupCall request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrEmpty(request.GroupId))
        {
            return JoinGroupResult.Failure(ErrorCode.InvalidGroupId, request.MemberId);
        }
        if (request.SessionTimeout < _options.MinSessionTimeout || request.SessionTimeout > _options.MaxSessionTimeout)
        {
            return JoinGroupResult.Failure(ErrorCode.InvalidSessionTimeout, request.MemberId);
        }
        while (!IsDisposed)
        {
            ClassicGroup? group;
            if (request.MemberId.Length == 0)
            {
                group = GetOrCreateGroup(request.GroupId);
            }
            else if (!_groups.TryGetValue(request.GroupId, out group))
            {
                return JoinGroupResult.Failure(ErrorCode.UnknownMemberId, request.MemberId);
            }
            // Null: the group was deleted after the lookup; the next lookup finds its successor or nothing.
            if (group.Join(request) is { } joined)
            {
                return await joined.WaitAsync(cancellationToken);
            }
        }
        return JoinGroupResult.Failure(ErrorCode.NotCoordinator, request.MemberId);
    }

    /// <summary>SyncGroup. The leader's call carries the assignments; followers' calls complete once it arrived.</summary>
    public async Task<SyncGroupResult> SyncGroupAsync(SyncGroupCall request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrEmpty(request.GroupId))
        {
            return SyncGroupResult.Failure(ErrorCode.InvalidGroupId);
        }
        while (!IsDisposed)
        {
            if (!_groups.TryGetValue(request.GroupId, out var group))
            {
                return SyncGroupResult.Failure(ErrorCode.UnknownMemberId);
            }
            if (group.Sync(request) is { } synced)
            {
                return await synced.WaitAsync(cancellationToken);
            }
        }
        return SyncGroupResult.Failure(ErrorCode.NotCoordinator);
    }

    /// <summary>
    /// Heartbeat: None, REBALANCE_IN_PROGRESS once a rebalance started (the member must rejoin), UNKNOWN_MEMBER_ID,
    /// ILLEGAL_GENERATION or FENCED_INSTANCE_ID.
    /// </summary>
    public ErrorCode Heartbeat(string groupId, int generationId, string memberId, string? groupInstanceId)
    {
        if (string.IsNullOrEmpty(groupId))
        {
            return ErrorCode.InvalidGroupId;
        }
        while (!IsDisposed)
        {
            if (!_groups.TryGetValue(groupId, out var group))
            {
                return ErrorCode.UnknownMemberId;
            }
            if (group.TryHeartbeat(generationId, memberId, groupInstanceId, out var error))
            {
                return error;
            }
        }
        return ErrorCode.NotCoordinator;
    }

    /// <summary>LeaveGroup for one or more members; the others rebalance without them.</summary>
    public LeaveGroupResult LeaveGroup(string groupId, IReadOnlyList<LeaveGroupMember> members)
    {
        ArgumentNullException.ThrowIfNull(members);
        if (string.IsNullOrEmpty(groupId))
        {
            return AllFailed(ErrorCode.InvalidGroupId);
        }
        while (!IsDisposed)
        {
            if (!_groups.TryGetValue(groupId, out var group))
            {
                return AllFailed(ErrorCode.UnknownMemberId);
            }
            if (group.Leave(members) is { } result)
            {
                return result;
            }
        }
        return AllFailed(ErrorCode.NotCoordinator);

        LeaveGroupResult AllFailed(ErrorCode error) =>
            new(error, [.. members.Select(member => new LeaveGroupMemberResult(member.MemberId, member.GroupInstanceId, error))]);
    }

    /// <summary>
    /// OffsetCommit. A member commits with its generation; with generation -1 and no member id, anyone may commit to a
    /// group without members (standalone consumers, kcat, admin tools), which creates the group if needed. Completes once
    /// the offsets are stored.
    /// </summary>
    public Task<IReadOnlyList<OffsetCommitPartitionResult>> CommitOffsetsAsync(
        string groupId,
        int generationIdOrMemberEpoch,
        string memberId,
        string? groupInstanceId,
        IReadOnlyList<OffsetCommitPartition> offsets,
        CancellationToken cancellationToken) =>
        CommitAsync(
            groupId,
            generationIdOrMemberEpoch,
            offsets,
            (group, valid) => (group.TryCommitOffsets(generationIdOrMemberEpoch, memberId, groupInstanceId, valid, out var error, out var write), error, write),
            cancellationToken);

    /// <summary>
    /// TxnOffsetCommit, after the transaction coordinator has validated the producer: stages the offsets for
    /// <paramref name="producerId"/>. They become the group's committed offsets when <see cref="CompleteTransactionAsync"/>
    /// commits the transaction and are dropped when it aborts; meanwhile a fetch with requireStable reports
    /// UNSTABLE_OFFSET_COMMIT for them. The group, generation and member are checked as Kafka does for transactional commits.
    /// </summary>
    public Task<IReadOnlyList<OffsetCommitPartitionResult>> StageTransactionalOffsetsAsync(
        long producerId,
        string groupId,
        int generationId,
        string memberId,
        string? groupInstanceId,
        IReadOnlyList<OffsetCommitPartition> offsets,
        CancellationToken cancellationToken) =>
        CommitAsync(
            groupId,
            generationId,
            offsets,
            (group, valid) => (group.TryStageTransactionalOffsets(producerId, generationId, memberId, groupInstanceId, valid, out var error, out var write), error, write),
            cancellationToken);

    /// <summary>
    /// Ends a transaction that staged offsets (the transaction coordinator calls it for transactions that added a group,
    /// including after its own recovery): committed, the staged offsets become visible; aborted, they are dropped. Returns
    /// None once that is durable, else an error to retry on.
    /// </summary>
    public async Task<ErrorCode> CompleteTransactionAsync(long producerId, bool commit, CancellationToken cancellationToken)
    {
        if (IsDisposed)
        {
            return ErrorCode.NotCoordinator;
        }
        try
        {
            await _store.CompleteTransaction(producerId, commit).WaitAsync(cancellationToken);
            return ErrorCode.None;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            return ErrorCode.NotCoordinator;
        }
    }

    /// <summary>
    /// OffsetFetch for one group: the given partitions, or every partition with a committed offset when
    /// <paramref name="partitions"/> is null. Partitions without one get offset -1. With <paramref name="requireStable"/>,
    /// partitions with offsets staged by an open transaction get UNSTABLE_OFFSET_COMMIT (the consumer retries).
    /// </summary>
    public OffsetFetchResult FetchOffsets(string groupId, IReadOnlyList<TopicPartition>? partitions, bool requireStable)
    {
        if (string.IsNullOrEmpty(groupId))
        {
            return new OffsetFetchResult(ErrorCode.InvalidGroupId, []);
        }
        if (IsDisposed)
        {
            return new OffsetFetchResult(ErrorCode.NotCoordinator, []);
        }
        return new OffsetFetchResult(ErrorCode.None, _store.FetchOffsets(groupId, partitions, requireStable));
    }

    /// <summary>ListGroups: every group, or those in one of <paramref name="statesFilter"/> when it is not empty.</summary>
    public IReadOnlyList<ListedGroup> ListGroups(IReadOnlyCollection<GroupState>? statesFilter)
    {
        var listed = new List<ListedGroup>();
        foreach (var group in _groups.Values)
        {
            if (group.Listing() is { } listing && (statesFilter is null || statesFilter.Count == 0 || statesFilter.Contains(listing.State)))
            {
                listed.Add(listing);
            }
        }
        return listed;
    }

    /// <summary>DescribeGroups; an unknown group is described as Dead, as Kafka does.</summary>
    public IReadOnlyList<DescribedGroup> DescribeGroups(IReadOnlyList<string> groupIds)
    {
        ArgumentNullException.ThrowIfNull(groupIds);
        var described = new List<DescribedGroup>(groupIds.Count);
        foreach (var groupId in groupIds)
        {
            if (string.IsNullOrEmpty(groupId))
            {
                described.Add(new DescribedGroup(groupId ?? "", ErrorCode.InvalidGroupId, GroupState.Dead, "", "", []));
            }
            else if (_groups.TryGetValue(groupId, out var group) && group.Describe() is { } description)
            {
                described.Add(description);
            }
            else
            {
                described.Add(new DescribedGroup(groupId, ErrorCode.None, GroupState.Dead, "", "", []));
            }
        }
        return described;
    }

    /// <summary>
    /// DeleteGroups: each empty group is removed with its offsets, durably before this completes. GROUP_ID_NOT_FOUND
    /// for a group that does not exist, NON_EMPTY_GROUP for one with members, INVALID_GROUP_ID for an empty id.
    /// </summary>
    public async Task<IReadOnlyList<(string GroupId, ErrorCode Error)>> DeleteGroupsAsync(IReadOnlyList<string> groupIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(groupIds);
        var results = new List<(string, ErrorCode)>(groupIds.Count);
        foreach (var groupId in groupIds)
        {
            if (string.IsNullOrEmpty(groupId))
            {
                results.Add((groupId ?? "", ErrorCode.InvalidGroupId));
                continue;
            }
            if (IsDisposed)
            {
                results.Add((groupId, ErrorCode.NotCoordinator));
                continue;
            }
            var error = ErrorCode.GroupIdNotFound;
            Task? write = null;
            if (_groups.TryGetValue(groupId, out var group))
            {
                write = group.TryDelete(out error);
            }
            results.Add((groupId, error == ErrorCode.None ? await WaitForWriteAsync(write, cancellationToken) : error));
        }
        return results;
    }

    /// <summary>
    /// OffsetDelete (KIP-496): deletes a group's committed offsets for <paramref name="partitions"/>, durably before this
    /// completes; partitions of topics the group's members subscribe to get GROUP_SUBSCRIBED_TO_TOPIC. The group-level
    /// error is GROUP_ID_NOT_FOUND for an unknown group, INVALID_GROUP_ID for an empty id.
    /// </summary>
    public async Task<(ErrorCode Error, IReadOnlyDictionary<TopicPartition, ErrorCode> Partitions)> DeleteOffsetsAsync(
        string groupId, IReadOnlyList<TopicPartition> partitions, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        if (string.IsNullOrEmpty(groupId))
        {
            return (ErrorCode.InvalidGroupId, new Dictionary<TopicPartition, ErrorCode>());
        }
        if (IsDisposed)
        {
            return (ErrorCode.NotCoordinator, new Dictionary<TopicPartition, ErrorCode>());
        }
        if (!_groups.TryGetValue(groupId, out var group))
        {
            return (ErrorCode.GroupIdNotFound, new Dictionary<TopicPartition, ErrorCode>());
        }
        var error = group.TryDeleteOffsets(partitions, out var errors, out var write);
        if (error != ErrorCode.None)
        {
            return (error, errors);
        }
        var writeError = await WaitForWriteAsync(write, cancellationToken);
        if (writeError != ErrorCode.None)
        {
            return (writeError, errors);
        }
        return (ErrorCode.None, errors);
    }

    /// <summary>Stops the coordinator: parked JoinGroup and SyncGroup calls get NOT_COORDINATOR, queued writes finish, the file closes.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        await _retentionTimer.DisposeAsync();
        foreach (var group in _groups.Values)
        {
            group.Shutdown();
        }
        await _store.DisposeAsync();
    }

    /// <summary>Bytes in the offsets file, for tests of its compaction.</summary>
    internal long OffsetsLogLength => _store.LogLength;

    /// <summary>Completes once every offsets write started so far is stored; lets tests wait for background writes.</summary>
    internal Task FlushOffsetsAsync() => _store.FlushAsync();

    /// <summary>Runs the retention cleanup now instead of waiting for its timer; for tests.</summary>
    internal void ExpireOffsets()
    {
        foreach (var group in _groups.Values)
        {
            group.ExpireOffsets();
        }
    }

    private async Task<IReadOnlyList<OffsetCommitPartitionResult>> CommitAsync(
        string groupId,
        int generationId,
        IReadOnlyList<OffsetCommitPartition> offsets,
        Func<ClassicGroup, IReadOnlyList<StoredOffset>, (bool Alive, ErrorCode Error, Task? Write)> commit,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(offsets);
        if (string.IsNullOrEmpty(groupId))
        {
            return AllFailed(ErrorCode.InvalidGroupId);
        }

        var nowMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var valid = new List<StoredOffset>(offsets.Count);
        foreach (var offset in offsets)
        {
            if (!IsMetadataTooLarge(offset))
            {
                valid.Add(new StoredOffset(offset.Topic, offset.Partition, offset.Offset, offset.LeaderEpoch, offset.Metadata, nowMs));
            }
        }

        var error = ErrorCode.NotCoordinator;
        Task? write = null;
        while (!IsDisposed)
        {
            if (!_groups.TryGetValue(groupId, out var group))
            {
                if (generationId >= 0)
                {
                    // A generation for a group that does not exist cannot be current.
                    return AllFailed(ErrorCode.IllegalGeneration);
                }
                group = GetOrCreateGroup(groupId);
            }
            var (alive, groupError, groupWrite) = commit(group, valid);
            if (alive)
            {
                error = groupError;
                write = groupWrite;
                break;
            }
        }
        if (error != ErrorCode.None)
        {
            return AllFailed(error);
        }

        var writeError = await WaitForWriteAsync(write, cancellationToken);
        var results = new OffsetCommitPartitionResult[offsets.Count];
        for (var i = 0; i < offsets.Count; i++)
        {
            var offset = offsets[i];
            results[i] = new OffsetCommitPartitionResult(offset.Topic, offset.Partition, IsMetadataTooLarge(offset) ? ErrorCode.OffsetMetadataTooLarge : writeError);
        }
        return results;

        IReadOnlyList<OffsetCommitPartitionResult> AllFailed(ErrorCode failure) =>
            [.. offsets.Select(offset => new OffsetCommitPartitionResult(offset.Topic, offset.Partition, failure))];
    }

    private bool IsMetadataTooLarge(OffsetCommitPartition offset) =>
        offset.Metadata is not null && offset.Metadata.Length > _options.OffsetMetadataMaxBytes;

    /// <summary>Waits for a store write and turns its failure into the error Kafka gives for a failed offsets append.</summary>
    private static async Task<ErrorCode> WaitForWriteAsync(Task? write, CancellationToken cancellationToken)
    {
        if (write is null)
        {
            return ErrorCode.None;
        }
        try
        {
            await write.WaitAsync(cancellationToken);
            return ErrorCode.None;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            return ErrorCode.NotCoordinator;
        }
        catch (InvalidOperationException)
        {
            // The entry exceeded the largest frame the offsets file takes.
            return ErrorCode.InvalidCommitOffsetSize;
        }
    }

    private ClassicGroup GetOrCreateGroup(string groupId) =>
        _groups.GetOrAdd(groupId, static (id, coordinator) => coordinator.NewGroup(id, null, 0), this);

    private ClassicGroup NewGroup(string groupId, string? protocolType, int generationId) =>
        new(groupId, protocolType, generationId, _options, _time, _logger, _store, RemoveGroup);

    private void RemoveGroup(ClassicGroup group) => _groups.TryRemove(new KeyValuePair<string, ClassicGroup>(group.GroupId, group));
}
