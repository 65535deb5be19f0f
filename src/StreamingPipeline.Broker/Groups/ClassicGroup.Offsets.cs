using StreamingPipeline.Broker.Log;
using StreamingPipeline.Protocol;

namespace StreamingPipeline.Broker.Groups;

// Offset commits, deletion and retention: the offsets the group owns in the OffsetStore.
internal sealed partial class ClassicGroup
{
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
            var offsets = new List<KeyValuePair<TopicPartition, CommittedOffset>>();
            _store.CopyOffsets(GroupId, offsets);
            var expired = new List<TopicPartition>();
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
                GroupCoordinatorLogMessages.OffsetsExpired(_logger, GroupId, expired.Count);
                Observe(TrackOffsetWrite(_store.DeleteOffsets(GroupId, expired)));
            }
            if (_state == GroupState.Empty && expired.Count == offsets.Count && !_store.HasPendingTransactionalOffsets(GroupId))
            {
                MarkDead();
                Observe(_store.DeleteGroup(GroupId));
                GroupCoordinatorLogMessages.GroupRemoved(_logger, GroupId, "it is empty and its offsets expired");
            }
        }
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
                GroupCoordinatorLogMessages.BackgroundWriteFailed(group._logger, group.GroupId, task.Exception!.GetBaseException());
            },
            this,
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
}
