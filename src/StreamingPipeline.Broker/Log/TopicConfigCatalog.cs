namespace StreamingPipeline.Broker.Log;

/// <summary>
/// What Kafka says about each topic config besides its value: the broker config that supplies its default (the
/// synonym DescribeConfigs lists, e.g. <c>retention.ms</c> ← <c>log.retention.ms</c>) and its type
/// (DescribeConfigs v3+). Names without an entry are described as strings with no broker synonym.
/// </summary>
internal static class TopicConfigCatalog
{
    /// <summary>DescribeConfigs config types (Kafka's ConfigType).</summary>
    public const sbyte BooleanType = 1;

    /// <inheritdoc cref="BooleanType"/>
    public const sbyte StringType = 2;

    /// <inheritdoc cref="BooleanType"/>
    public const sbyte IntType = 3;

    /// <inheritdoc cref="BooleanType"/>
    public const sbyte LongType = 5;

    /// <inheritdoc cref="BooleanType"/>
    public const sbyte DoubleType = 6;

    /// <inheritdoc cref="BooleanType"/>
    public const sbyte ListType = 7;

    private static readonly Dictionary<string, (string BrokerName, sbyte Type)> Entries = new(StringComparer.Ordinal)
    {
        ["segment.bytes"] = ("log.segment.bytes", IntType),
        ["segment.ms"] = ("log.roll.ms", LongType),
        ["index.interval.bytes"] = ("log.index.interval.bytes", IntType),
        ["retention.ms"] = ("log.retention.ms", LongType),
        ["retention.bytes"] = ("log.retention.bytes", LongType),
        ["max.message.bytes"] = ("message.max.bytes", IntType),
        ["flush.messages"] = ("log.flush.interval.messages", LongType),
        ["flush.ms"] = ("log.flush.interval.ms", LongType),
        ["message.timestamp.type"] = ("log.message.timestamp.type", StringType),
        ["cleanup.policy"] = ("log.cleanup.policy", ListType),
        ["compression.type"] = ("compression.type", StringType),
        ["min.insync.replicas"] = ("min.insync.replicas", IntType),
        ["unclean.leader.election.enable"] = ("unclean.leader.election.enable", BooleanType),
        ["delete.retention.ms"] = ("log.cleaner.delete.retention.ms", LongType),
        ["min.cleanable.dirty.ratio"] = ("log.cleaner.min.cleanable.ratio", DoubleType),
        ["min.compaction.lag.ms"] = ("log.cleaner.min.compaction.lag.ms", LongType),
        ["max.compaction.lag.ms"] = ("log.cleaner.max.compaction.lag.ms", LongType),
    };

    /// <summary>The broker config that holds the default of topic config <paramref name="topicName"/>.</summary>
    public static string BrokerName(string topicName) =>
        Entries.TryGetValue(topicName, out var entry) ? entry.BrokerName : topicName;

    /// <summary>The topic config whose default broker config <paramref name="brokerName"/> holds, or null.</summary>
    public static string? TopicName(string brokerName)
    {
        foreach (var (topicName, entry) in Entries)
        {
            if (entry.BrokerName == brokerName)
            {
                return topicName;
            }
        }
        return null;
    }

    /// <summary>The DescribeConfigs type of topic config <paramref name="topicName"/>.</summary>
    public static sbyte TypeOf(string topicName) =>
        Entries.TryGetValue(topicName, out var entry) ? entry.Type : StringType;
}
