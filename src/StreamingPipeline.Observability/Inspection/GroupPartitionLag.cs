namespace StreamingPipeline.Observability.Inspection;

/// <summary>A group's position on one partition: what it committed, where the log ends and how far behind it is.</summary>
/// <param name="Topic">The topic.</param>
/// <param name="Partition">The partition number.</param>
/// <param name="CommittedOffset">The committed offset (the next record the group reads), or null when none is committed.</param>
/// <param name="EndOffset">The partition's high watermark.</param>
/// <param name="LastStableOffset">The end a read_committed group can reach.</param>
/// <param name="Lag">EndOffset minus CommittedOffset (as kafka-consumer-groups shows it), or null without a committed offset.</param>
/// <param name="MemberId">The member the partition is assigned to, or null.</param>
/// <param name="ClientId">That member's client.id, or null.</param>
/// <param name="Host">That member's host, or null.</param>
public sealed record GroupPartitionLag(
    string Topic,
    int Partition,
    long? CommittedOffset,
    long EndOffset,
    long LastStableOffset,
    long? Lag,
    string? MemberId,
    string? ClientId,
    string? Host);
