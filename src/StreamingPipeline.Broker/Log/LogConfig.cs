using System.Globalization;

namespace StreamingPipeline.Broker.Log;

/// <summary>
/// Per-topic storage settings, named and defaulted like Kafka's topic configs. A topic's effective config is the
/// broker's defaults with the topic's overrides applied by <see cref="TryApply"/>.
/// </summary>
public sealed record LogConfig
{
    public const string SegmentBytesName = "segment.bytes";
    public const string SegmentMsName = "segment.ms";
    public const string IndexIntervalBytesName = "index.interval.bytes";
    public const string RetentionMsName = "retention.ms";
    public const string RetentionBytesName = "retention.bytes";
    public const string MaxMessageBytesName = "max.message.bytes";
    public const string FlushMessagesName = "flush.messages";
    public const string FlushMsName = "flush.ms";
    public const string MessageTimestampTypeName = "message.timestamp.type";
    public const string CleanupPolicyName = "cleanup.policy";
    public const string CompressionTypeName = "compression.type";
    public const string MinInSyncReplicasName = "min.insync.replicas";
    public const string UncleanLeaderElectionName = "unclean.leader.election.enable";
    public const string DeleteRetentionMsName = "delete.retention.ms";
    public const string MinCleanableDirtyRatioName = "min.cleanable.dirty.ratio";
    public const string MinCompactionLagMsName = "min.compaction.lag.ms";
    public const string MaxCompactionLagMsName = "max.compaction.lag.ms";

    private const long SevenDaysMs = 7L * 24 * 60 * 60 * 1000;

    // The smallest size Kafka accepts for segment.bytes (a v0 record's overhead); tests use small segments.
    private const long MinSegmentBytes = 14;

    /// <summary>Roll to a new segment when the active one would grow past this ("segment.bytes").</summary>
    public long SegmentBytes { get; init; } = 1L << 30;

    /// <summary>Roll a non-empty active segment this long after its first append ("segment.ms").</summary>
    public long SegmentMs { get; init; } = SevenDaysMs;

    /// <summary>Bytes of batches between two sparse offset-index entries ("index.interval.bytes").</summary>
    public int IndexIntervalBytes { get; init; } = 4096;

    /// <summary>Delete a closed segment once its newest timestamp is older than this; -1 keeps forever ("retention.ms").</summary>
    public long RetentionMs { get; init; } = SevenDaysMs;

    /// <summary>Delete the oldest closed segments while the log is larger than this; -1 is unlimited ("retention.bytes").</summary>
    public long RetentionBytes { get; init; } = -1;

    /// <summary>The largest record batch accepted, header included ("max.message.bytes").</summary>
    public int MaxMessageBytes { get; init; } = 1048588;

    /// <summary>Fsync after this many records since the last flush; 1 fsyncs every append ("flush.messages").</summary>
    public long FlushMessages { get; init; } = long.MaxValue;

    /// <summary>Fsync unflushed data this long after the last flush ("flush.ms"); the log manager's loop applies it.</summary>
    public long FlushMs { get; init; } = long.MaxValue;

    /// <summary>True when the broker stamps batches with its own clock ("message.timestamp.type" = LogAppendTime).</summary>
    public bool LogAppendTime { get; init; }

    /// <summary>"delete", "compact" or "compact,delete" ("cleanup.policy"), normalised to that spelling.</summary>
    public string CleanupPolicy { get; init; } = "delete";

    /// <summary>
    /// "producer" stores batches as the producer compressed them; uncompressed, gzip, snappy, lz4 or zstd make the
    /// broker recompress client batches that arrive in another codec ("compression.type").
    /// </summary>
    public string CompressionType { get; init; } = "producer";

    /// <summary>True when the log cleaner compacts this topic (cleanup.policy contains compact).</summary>
    public bool Compact => CleanupPolicy.Contains("compact", StringComparison.Ordinal);

    /// <summary>True when retention deletes old segments (cleanup.policy contains delete).</summary>
    public bool Delete => CleanupPolicy.Contains("delete", StringComparison.Ordinal);

    /// <summary>
    /// How long tombstones and removable transaction markers stay once the cleaner first kept them: it stamps now plus
    /// this as the delete horizon of their batch (KIP-534) ("delete.retention.ms").
    /// </summary>
    public long DeleteRetentionMs { get; init; } = 24L * 60 * 60 * 1000;

    /// <summary>Clean once the dirty part is at least this share of the cleanable log ("min.cleanable.dirty.ratio").</summary>
    public double MinCleanableDirtyRatio { get; init; } = 0.5;

    /// <summary>A record stays uncompacted at least this long after its timestamp ("min.compaction.lag.ms").</summary>
    public long MinCompactionLagMs { get; init; }

    /// <summary>Clean a log whose dirty part holds a record older than this, whatever its dirty ratio ("max.compaction.lag.ms").</summary>
    public long MaxCompactionLagMs { get; init; } = long.MaxValue;

    /// <summary>
    /// How long the active segment may stay open: segment.ms, and for a compacted topic at most max.compaction.lag.ms,
    /// so that records become cleanable in time (Kafka's LogConfig.maxSegmentMs).
    /// </summary>
    public long MaxSegmentMs => Compact && MaxCompactionLagMs > 0 ? Math.Min(MaxCompactionLagMs, SegmentMs) : SegmentMs;

    /// <summary>Accepted for compatibility and meaningless on one node ("min.insync.replicas").</summary>
    public int MinInSyncReplicas { get; init; } = 1;

    /// <summary>Accepted for compatibility and meaningless on one node ("unclean.leader.election.enable").</summary>
    public bool UncleanLeaderElection { get; init; }

    /// <summary>The names this broker understands, in the order <see cref="Describe"/> lists them.</summary>
    public static IReadOnlyList<string> Names { get; } = Definition.All.Select(d => d.Name).ToArray();

    /// <summary>
    /// Applies <paramref name="overrides"/> on top of <paramref name="defaults"/>. An unknown name, an unparsable or
    /// out-of-range value or an unsupported setting (compression.type other than producer) gives <c>false</c> and a message for an
    /// INVALID_CONFIG answer.
    /// </summary>
    public static bool TryApply(
        LogConfig defaults,
        IReadOnlyDictionary<string, string> overrides,
        out LogConfig config,
        out string? error)
    {
        ArgumentNullException.ThrowIfNull(defaults);
        ArgumentNullException.ThrowIfNull(overrides);
        config = defaults;
        foreach (var (name, rawValue) in overrides)
        {
            var definition = Definition.Find(name);
            if (definition is null)
            {
                error = $"Unknown topic config name: {name}";
                return false;
            }
            var value = rawValue?.Trim() ?? string.Empty;
            var problem = definition.Apply(ref config, value);
            if (problem is not null)
            {
                config = defaults;
                error = $"Invalid value {rawValue} for configuration {name}: {problem}";
                return false;
            }
        }
        error = null;
        return true;
    }

    /// <summary>Every setting with its value, for DescribeConfigs; IsDefault is false for names in <paramref name="overrides"/>.</summary>
    public IReadOnlyList<(string Name, string Value, bool IsDefault)> Describe(IReadOnlyDictionary<string, string> overrides)
    {
        ArgumentNullException.ThrowIfNull(overrides);
        var entries = new (string Name, string Value, bool IsDefault)[Definition.All.Length];
        for (var i = 0; i < entries.Length; i++)
        {
            var definition = Definition.All[i];
            entries[i] = (definition.Name, definition.Format(this), !overrides.ContainsKey(definition.Name));
        }
        return entries;
    }

    private delegate string? Applier(ref LogConfig config, string value);

    /// <summary>One named setting: how to read it from a config and how to parse and apply a value.</summary>
    private sealed class Definition(string name, Func<LogConfig, string> format, Applier apply)
    {
        public static readonly Definition[] All =
        [
            Long(SegmentBytesName, c => c.SegmentBytes, MinSegmentBytes, int.MaxValue, (c, v) => c with { SegmentBytes = v }),
            Long(SegmentMsName, c => c.SegmentMs, 1, long.MaxValue, (c, v) => c with { SegmentMs = v }),
            Long(IndexIntervalBytesName, c => c.IndexIntervalBytes, 0, int.MaxValue, (c, v) => c with { IndexIntervalBytes = (int)v }),
            Long(RetentionMsName, c => c.RetentionMs, -1, long.MaxValue, (c, v) => c with { RetentionMs = v }),
            Long(RetentionBytesName, c => c.RetentionBytes, -1, long.MaxValue, (c, v) => c with { RetentionBytes = v }),
            Long(MaxMessageBytesName, c => c.MaxMessageBytes, 0, int.MaxValue, (c, v) => c with { MaxMessageBytes = (int)v }),
            Long(FlushMessagesName, c => c.FlushMessages, 1, long.MaxValue, (c, v) => c with { FlushMessages = v }),
            Long(FlushMsName, c => c.FlushMs, 0, long.MaxValue, (c, v) => c with { FlushMs = v }),
            new(MessageTimestampTypeName, c => c.LogAppendTime ? "LogAppendTime" : "CreateTime", ApplyTimestampType),
            new(CleanupPolicyName, c => c.CleanupPolicy, ApplyCleanupPolicy),
            new(CompressionTypeName, c => c.CompressionType, ApplyCompressionType),
            Long(MinInSyncReplicasName, c => c.MinInSyncReplicas, 1, int.MaxValue, (c, v) => c with { MinInSyncReplicas = (int)v }),
            new(UncleanLeaderElectionName, c => c.UncleanLeaderElection ? "true" : "false", ApplyUncleanLeaderElection),
            Long(DeleteRetentionMsName, c => c.DeleteRetentionMs, 0, long.MaxValue, (c, v) => c with { DeleteRetentionMs = v }),
            new(MinCleanableDirtyRatioName, c => c.MinCleanableDirtyRatio.ToString(CultureInfo.InvariantCulture), ApplyMinCleanableDirtyRatio),
            Long(MinCompactionLagMsName, c => c.MinCompactionLagMs, 0, long.MaxValue, (c, v) => c with { MinCompactionLagMs = v }),
            Long(MaxCompactionLagMsName, c => c.MaxCompactionLagMs, 1, long.MaxValue, (c, v) => c with { MaxCompactionLagMs = v }),
        ];

        public string Name { get; } = name;

        public string Format(LogConfig config) => format(config);

        public string? Apply(ref LogConfig config, string value) => apply(ref config, value);

        public static Definition? Find(string name)
        {
            foreach (var definition in All)
            {
                if (string.Equals(definition.Name, name, StringComparison.Ordinal))
                {
                    return definition;
                }
            }
            return null;
        }

        private static Definition Long(string name, Func<LogConfig, long> read, long min, long max, Func<LogConfig, long, LogConfig> with) =>
            new(
                name,
                c => read(c).ToString(CultureInfo.InvariantCulture),
                (ref LogConfig config, string value) =>
                {
                    if (!long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed))
                    {
                        return "not a number.";
                    }
                    if (parsed < min || parsed > max)
                    {
                        return $"must be between {min} and {max}.";
                    }
                    config = with(config, parsed);
                    return null;
                });

        private static string? ApplyTimestampType(ref LogConfig config, string value)
        {
            switch (value)
            {
                case "CreateTime":
                    config = config with { LogAppendTime = false };
                    return null;
                case "LogAppendTime":
                    config = config with { LogAppendTime = true };
                    return null;
                default:
                    return "must be CreateTime or LogAppendTime.";
            }
        }

        private static string? ApplyCleanupPolicy(ref LogConfig config, string value)
        {
            // Kafka accepts a list of delete and compact in any order (and with spaces); the empty list means neither,
            // which this broker does not offer.
            var delete = false;
            var compact = false;
            foreach (var part in value.Split(',', StringSplitOptions.TrimEntries))
            {
                switch (part)
                {
                    case "delete":
                        delete = true;
                        break;
                    case "compact":
                        compact = true;
                        break;
                    default:
                        return "must be delete, compact or compact,delete.";
                }
            }
            config = config with { CleanupPolicy = compact && delete ? "compact,delete" : compact ? "compact" : "delete" };
            return null;
        }

        private static string? ApplyMinCleanableDirtyRatio(ref LogConfig config, string value)
        {
            if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) || parsed is < 0 or > 1)
            {
                return "must be a number between 0 and 1.";
            }
            config = config with { MinCleanableDirtyRatio = parsed };
            return null;
        }

        private static string? ApplyCompressionType(ref LogConfig config, string value)
        {
            if (value is not ("producer" or "uncompressed" or "gzip" or "snappy" or "lz4" or "zstd"))
            {
                return "must be one of producer, uncompressed, gzip, snappy, lz4, zstd.";
            }
            config = config with { CompressionType = value };
            return null;
        }

        private static string? ApplyUncleanLeaderElection(ref LogConfig config, string value)
        {
            if (!bool.TryParse(value, out var parsed))
            {
                return "must be true or false.";
            }
            config = config with { UncleanLeaderElection = parsed };
            return null;
        }
    }
}
