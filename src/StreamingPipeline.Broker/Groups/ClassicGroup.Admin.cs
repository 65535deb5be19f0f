using StreamingPipeline.Broker.Log;
using StreamingPipeline.Protocol;
using StreamingPipeline.Protocol.Messages;

namespace StreamingPipeline.Broker.Groups;

// Admin operations on a group: DeleteGroups and OffsetDelete.
internal sealed partial class ClassicGroup
{
    private const string ConsumerProtocolType = "consumer";

    /// <summary>
    /// DeleteGroups: an empty group is removed with its offsets (the returned write completes when that is durable);
    /// NON_EMPTY_GROUP while it has members, GROUP_ID_NOT_FOUND once it is dead.
    /// </summary>
    public Task? TryDelete(out ErrorCode error)
    {
        lock (_lock)
        {
            if (_state == GroupState.Dead)
            {
                error = ErrorCode.GroupIdNotFound;
                return null;
            }
            if (_state != GroupState.Empty)
            {
                error = ErrorCode.NonEmptyGroup;
                return null;
            }
            MarkDead();
            error = ErrorCode.None;
            GroupCoordinatorLogMessages.GroupRemoved(_logger, GroupId, "DeleteGroups asked for it");
            return TrackOffsetWrite(_store.DeleteGroup(GroupId));
        }
    }

    /// <summary>
    /// OffsetDelete (KIP-496): deletes the committed offsets of <paramref name="partitions"/> except those of topics a
    /// member of a consumer group is subscribed to, which get GROUP_SUBSCRIBED_TO_TOPIC. Returns the per-partition
    /// errors and the write to wait for (null when nothing is deleted); GROUP_ID_NOT_FOUND when the group is dead.
    /// </summary>
    public ErrorCode TryDeleteOffsets(IReadOnlyList<TopicPartition> partitions, out Dictionary<TopicPartition, ErrorCode> errors, out Task? write)
    {
        errors = [];
        write = null;
        lock (_lock)
        {
            if (_state == GroupState.Dead)
            {
                return ErrorCode.GroupIdNotFound;
            }
            var subscribed = SubscribedTopics();
            var deletable = new List<TopicPartition>(partitions.Count);
            foreach (var partition in partitions)
            {
                var error = subscribed is null || subscribed.Contains(partition.Topic) ? ErrorCode.GroupSubscribedToTopic : ErrorCode.None;
                errors[partition] = error;
                if (error == ErrorCode.None)
                {
                    deletable.Add(partition);
                }
            }
            if (deletable.Count > 0)
            {
                write = TrackOffsetWrite(_store.DeleteOffsets(GroupId, deletable));
            }
            return ErrorCode.None;
        }
    }

    /// <summary>
    /// The topics the members subscribe to (none without members); null when the subscriptions cannot be read (not
    /// the consumer protocol, or unreadable metadata), in which case every topic counts as subscribed, as in Kafka.
    /// </summary>
    private HashSet<string>? SubscribedTopics()
    {
        var topics = new HashSet<string>(StringComparer.Ordinal);
        if (_members.Count == 0)
        {
            return topics;
        }
        if (_protocolType != ConsumerProtocolType || _protocolName is null)
        {
            return null;
        }
        foreach (var member in _members.Values)
        {
            try
            {
                var reader = new ProtocolReader(member.MetadataFor(_protocolName));
                var version = reader.ReadInt16();
                topics.UnionWith(ConsumerProtocolSubscription.Read(reader, Math.Min(version, (short)3)).Topics);
            }
            catch (Exception ex) when (ex is ProtocolException or ArgumentException or IndexOutOfRangeException or InvalidOperationException)
            {
                return null;
            }
        }
        return topics;
    }
}
