using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace StreamingPipeline.Observability.Inspection;

/// <summary>Lists and describes consumer groups (members, committed offsets, lag) and resets their offsets, like kafka-consumer-groups.</summary>
public sealed class ConsumerGroupInspector
{
    private readonly IAdminClient _admin;
    private readonly ClusterMetadata _metadata;
    private readonly KafkaConnection _connection;

    internal ConsumerGroupInspector(IAdminClient admin, ClusterMetadata metadata, KafkaConnection connection)
    {
        _admin = admin;
        _metadata = metadata;
        _connection = connection;
    }

    /// <summary>Every group the cluster knows, by id, with its state.</summary>
    public async Task<IReadOnlyList<ConsumerGroupSummary>> ListAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            var result = await _admin.ListConsumerGroupsAsync(new ListConsumerGroupsOptions { RequestTimeout = _connection.RequestTimeout }).WaitAsync(cancellationToken);
            return result.Valid
                .Select(g => new ConsumerGroupSummary(g.GroupId, g.State.ToString(), g.IsSimpleConsumerGroup))
                .OrderBy(g => g.GroupId, StringComparer.Ordinal)
                .ToList();
        }
        catch (ListConsumerGroupsException ex)
        {
            throw new InspectionException($"listing consumer groups failed: {ex.Results.Errors.FirstOrDefault()?.Reason ?? ex.Message}", ex);
        }
        catch (KafkaException ex)
        {
            throw _metadata.Unreachable(ex);
        }
    }

    /// <summary>
    /// The group's state, members and, per partition it committed on or has assigned, the committed offset, end offsets
    /// and lag; <see cref="GroupNotFoundException"/> when it has neither members nor committed offsets.
    /// </summary>
    public async Task<ConsumerGroupDetails> DescribeAsync(string groupId, CancellationToken cancellationToken = default)
    {
        var description = await DescribeGroupAsync(groupId, cancellationToken);
        var committed = await CommittedAsync(groupId, null, cancellationToken);
        if (description.Members.Count == 0 && committed.Count == 0 && description.State is ConsumerGroupState.Dead or ConsumerGroupState.Empty or ConsumerGroupState.Unknown)
        {
            throw new GroupNotFoundException(groupId);
        }
        var owners = new Dictionary<TopicPartition, MemberDescription>();
        foreach (var member in description.Members)
        {
            foreach (var assigned in member.Assignment?.TopicPartitions ?? [])
            {
                owners[assigned] = member;
            }
        }
        var existing = (await _metadata.AllTopicsAsync(cancellationToken)).Topics
            .SelectMany(t => t.Partitions.Select(p => new TopicPartition(t.Topic, p.PartitionId)))
            .ToHashSet();
        var partitions = committed.Keys.Concat(owners.Keys).Distinct().Where(existing.Contains)
            .OrderBy(p => p.Topic, StringComparer.Ordinal).ThenBy(p => p.Partition.Value).ToList();
        var offsets = (await _metadata.OffsetsAsync(partitions, cancellationToken)).ToDictionary(o => o.Partition, o => o.Offsets);
        var rows = partitions.Select(p =>
        {
            long? offset = committed.TryGetValue(p, out var c) ? c : null;
            var owner = owners.GetValueOrDefault(p);
            var ends = offsets[p];
            return new GroupPartitionLag(p.Topic, p.Partition.Value, offset, ends.EndOffset, ends.LastStableOffset,
                offset is { } o ? Math.Max(0, ends.EndOffset - o) : null, owner?.ConsumerId, owner?.ClientId, owner?.Host);
        }).ToList();
        var members = description.Members
            .Select(m => new ConsumerGroupMember(m.ConsumerId, m.ClientId, m.Host, m.GroupInstanceId,
                (m.Assignment?.TopicPartitions ?? []).Select(tp => new GroupPartition(tp.Topic, tp.Partition.Value))
                    .OrderBy(tp => tp.Topic, StringComparer.Ordinal).ThenBy(tp => tp.Partition).ToList()))
            .OrderBy(m => m.MemberId, StringComparer.Ordinal)
            .ToList();
        return new ConsumerGroupDetails(groupId, description.State.ToString(), description.PartitionAssignor ?? "", members, rows);
    }

    /// <summary>
    /// Plans a reset of the group's offsets on the topic and, when <paramref name="execute"/>, commits it. Refused with
    /// <see cref="ActiveGroupException"/> (dry run included) while the group has members, as Kafka's tool refuses.
    /// </summary>
    public async Task<OffsetResetPlan> ResetOffsetsAsync(OffsetResetRequest request, bool execute, CancellationToken cancellationToken = default)
    {
        Validate(request);
        await RequireInactiveAsync(request.GroupId, cancellationToken);
        var all = await _metadata.PartitionsOfAsync(request.Topic, cancellationToken);
        if (request.Partition is { } one && !all.Contains(one))
        {
            throw new TopicNotFoundException($"topic {request.Topic} has no partition {one} (it has {all.Count}).");
        }
        var partitions = all.Where(p => request.Partition is null || p == request.Partition).Select(p => new TopicPartition(request.Topic, p)).ToList();
        var committed = await CommittedAsync(request.GroupId, partitions, cancellationToken);
        var targets = await TargetsAsync(request, partitions, cancellationToken);
        var plan = partitions
            .Select(p => new OffsetResetPartition(p.Topic, p.Partition.Value, committed.TryGetValue(p, out var c) ? c : null, targets[p]))
            .ToList();
        if (execute)
        {
            // Checked again right before the commit: a member may have joined while the plan was made.
            await RequireInactiveAsync(request.GroupId, cancellationToken);
            await CommitAsync(request.GroupId, plan, cancellationToken);
        }
        return new OffsetResetPlan(request.GroupId, execute, plan);
    }

    private static void Validate(OffsetResetRequest request)
    {
        if (request.Target == OffsetResetTarget.Offset && request.Offset is not >= 0)
        {
            throw new ArgumentException("A reset to an offset needs an Offset of at least 0.", nameof(request));
        }
        if (request.Target == OffsetResetTarget.Timestamp && request.TimestampUnixMs is null)
        {
            throw new ArgumentException("A reset to a time needs TimestampUnixMs.", nameof(request));
        }
    }

    private async Task RequireInactiveAsync(string groupId, CancellationToken cancellationToken)
    {
        var description = await DescribeGroupAsync(groupId, cancellationToken);
        if (description.Members.Count > 0 || description.State is not (ConsumerGroupState.Empty or ConsumerGroupState.Dead))
        {
            throw new ActiveGroupException(groupId, description.State.ToString(), description.Members.Count);
        }
    }

    private async Task<Dictionary<TopicPartition, long>> TargetsAsync(OffsetResetRequest request, List<TopicPartition> partitions, CancellationToken cancellationToken)
    {
        var offsets = (await _metadata.OffsetsAsync(partitions, cancellationToken)).ToDictionary(o => o.Partition, o => o.Offsets);
        Dictionary<TopicPartition, long>? byTime = null;
        if (request.Target == OffsetResetTarget.Timestamp)
        {
            byTime = await _metadata.ListAsync(partitions, OffsetSpec.ForTimestamp(request.TimestampUnixMs!.Value), IsolationLevel.ReadUncommitted, cancellationToken);
        }
        return partitions.ToDictionary(p => p, p => request.Target switch
        {
            OffsetResetTarget.Earliest => offsets[p].StartOffset,
            OffsetResetTarget.Latest => offsets[p].EndOffset,
            OffsetResetTarget.Offset => Math.Clamp(request.Offset!.Value, offsets[p].StartOffset, offsets[p].EndOffset),
            _ => byTime![p] is var found and >= 0 ? found : offsets[p].EndOffset,
        });
    }

    private async Task CommitAsync(string groupId, IReadOnlyList<OffsetResetPartition> plan, CancellationToken cancellationToken)
    {
        try
        {
            await _admin.AlterConsumerGroupOffsetsAsync(
                [new ConsumerGroupTopicPartitionOffsets(groupId, plan.Select(p => new TopicPartitionOffset(p.Topic, p.Partition, p.NewOffset)).ToList())],
                new AlterConsumerGroupOffsetsOptions { RequestTimeout = _connection.RequestTimeout }).WaitAsync(cancellationToken);
        }
        catch (AlterConsumerGroupOffsetsException ex)
        {
            var report = ex.Results.FirstOrDefault();
            var failed = report?.Partitions.FirstOrDefault(p => p.Error.IsError);
            var reason = report?.Error.IsError == true ? report.Error.Reason : failed?.Error.Reason ?? ex.Message;
            throw new InspectionException($"committing the new offsets of group {groupId} failed: {reason}", ex);
        }
        catch (KafkaException ex)
        {
            throw _metadata.Unreachable(ex);
        }
    }

    private async Task<ConsumerGroupDescription> DescribeGroupAsync(string groupId, CancellationToken cancellationToken)
    {
        try
        {
            var result = await _admin.DescribeConsumerGroupsAsync([groupId], new DescribeConsumerGroupsOptions { RequestTimeout = _connection.RequestTimeout }).WaitAsync(cancellationToken);
            return result.ConsumerGroupDescriptions.Single();
        }
        catch (DescribeConsumerGroupsException ex)
        {
            var error = ex.Results.ConsumerGroupDescriptions.FirstOrDefault()?.Error;
            if (error?.Code == ErrorCode.GroupIdNotFound)
            {
                throw new GroupNotFoundException(groupId);
            }
            throw new InspectionException($"describing consumer group {groupId} failed: {error?.Reason ?? ex.Message}", ex);
        }
        catch (KafkaException ex)
        {
            throw _metadata.Unreachable(ex);
        }
    }

    /// <summary>The group's committed offsets (only partitions with one) on <paramref name="partitions"/>, or on every partition when null.</summary>
    private async Task<Dictionary<TopicPartition, long>> CommittedAsync(string groupId, List<TopicPartition>? partitions, CancellationToken cancellationToken)
    {
        try
        {
            var results = await _admin.ListConsumerGroupOffsetsAsync(
                [new ConsumerGroupTopicPartitions(groupId, partitions)],
                new ListConsumerGroupOffsetsOptions { RequestTimeout = _connection.RequestTimeout }).WaitAsync(cancellationToken);
            return results.Single().Partitions
                .Where(p => !p.Error.IsError && p.Offset.Value >= 0)
                .ToDictionary(p => p.TopicPartition, p => p.Offset.Value);
        }
        catch (ListConsumerGroupOffsetsException ex)
        {
            var report = ex.Results.FirstOrDefault();
            throw new InspectionException($"listing the offsets of consumer group {groupId} failed: {report?.Error.Reason ?? ex.Message}", ex);
        }
        catch (KafkaException ex)
        {
            throw _metadata.Unreachable(ex);
        }
    }
}
