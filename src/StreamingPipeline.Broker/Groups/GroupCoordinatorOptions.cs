namespace StreamingPipeline.Broker.Groups;

/// <summary>Settings of the group coordinator; the defaults are Kafka's broker defaults.</summary>
internal sealed record GroupCoordinatorOptions
{
    /// <summary>Smallest session timeout a member may ask for (Kafka's <c>group.min.session.timeout.ms</c>).</summary>
    public TimeSpan MinSessionTimeout { get; init; } = TimeSpan.FromSeconds(6);

    /// <summary>Largest session timeout a member may ask for (Kafka's <c>group.max.session.timeout.ms</c>).</summary>
    public TimeSpan MaxSessionTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// How long the first rebalance of an empty group waits for more members, extended while members keep arriving
    /// (Kafka's <c>group.initial.rebalance.delay.ms</c>); an embedded broker uses a small value.
    /// </summary>
    public TimeSpan InitialRebalanceDelay { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// How long a brand-new member's parked JoinGroup keeps it in the group before it is dropped (Kafka's
    /// <c>group.classic.new.member.join.timeout.ms</c>), so clients that time out and retry leave no defunct members.
    /// </summary>
    public TimeSpan NewMemberJoinTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Most members a group accepts (Kafka's <c>group.max.size</c>).</summary>
    public int MaxGroupSize { get; init; } = int.MaxValue;

    /// <summary>Longest metadata string, in UTF-16 characters, an offset commit may carry (Kafka's <c>offset.metadata.max.bytes</c>).</summary>
    public int OffsetMetadataMaxBytes { get; init; } = 4096;

    /// <summary>
    /// How long committed offsets are kept once their group is empty, or since their commit for groups that never
    /// had members (Kafka's <c>offsets.retention.minutes</c>); empty groups without offsets are removed too.
    /// </summary>
    public TimeSpan OffsetsRetention { get; init; } = TimeSpan.FromDays(7);

    /// <summary>How often expired offsets and empty groups are looked for (Kafka's <c>offsets.retention.check.interval.ms</c>).</summary>
    public TimeSpan OffsetsRetentionCheckInterval { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Whether every write to the offsets file is flushed to the disk before it is acknowledged. Off by default, like
    /// Kafka and like the partition logs: acknowledged commits then survive a killed process, not a power loss.
    /// </summary>
    public bool FlushToDiskOnWrite { get; init; }

    /// <summary>The offsets file is rewritten with only its latest values once it is this large and twice its size after the last rewrite.</summary>
    public long OffsetsLogCompactionThresholdBytes { get; init; } = 16L * 1024 * 1024;
}
