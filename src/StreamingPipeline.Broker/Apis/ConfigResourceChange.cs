using StreamingPipeline.Broker.Log;
using StreamingPipeline.Protocol;

namespace StreamingPipeline.Broker.Apis;

/// <summary>
/// The part IncrementalAlterConfigs and AlterConfigs share: checking the resources of a request and applying a
/// resource's new topic overrides through the log manager, with Kafka's error codes.
/// </summary>
internal static class ConfigResourceChange
{
    /// <summary>ConfigResource type of a topic.</summary>
    public const sbyte TopicResource = 2;

    /// <summary>ConfigResource type of a broker.</summary>
    public const sbyte BrokerResource = 4;

    /// <summary>The resources named more than once in one request; Kafka answers INVALID_REQUEST for each of them.</summary>
    public static HashSet<(sbyte Type, string Name)> Duplicates(IEnumerable<(sbyte Type, string Name)> resources) =>
        resources.GroupBy(r => r).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet();

    /// <summary>
    /// Finds the current overrides of the topic or explains why the resource cannot be altered: a broker resource
    /// (its settings are static on this broker), another type, or a topic that does not exist.
    /// </summary>
    public static (ErrorCode Error, string? Message) CheckResource(BrokerState broker, sbyte type, string name, out TopicInfo? topic)
    {
        topic = null;
        switch (type)
        {
            case TopicResource:
                topic = broker.Logs.GetTopic(name);
                return topic is null
                    ? (ErrorCode.UnknownTopicOrPartition, $"Topic '{name}' does not exist.")
                    : (ErrorCode.None, null);
            case BrokerResource:
                return (ErrorCode.InvalidRequest,
                    "Broker configs are static on this broker (set them at start-up); alter the topic's config instead.");
            default:
                return (ErrorCode.InvalidRequest, $"Resource type {type} cannot be altered by this broker.");
        }
    }

    /// <summary>
    /// INVALID_CONFIG for a name this broker does not know as a topic config (Kafka's message), else NONE.
    /// </summary>
    public static (ErrorCode Error, string? Message) CheckName(string name) =>
        LogConfig.Names.Contains(name, StringComparer.Ordinal)
            ? (ErrorCode.None, null)
            : (ErrorCode.InvalidConfig, $"Unknown topic config name: {name}");

    /// <summary>Stores <paramref name="overrides"/> as the topic's overrides (or only validates them).</summary>
    public static (ErrorCode Error, string? Message) Apply(BrokerState broker, string topic, IReadOnlyDictionary<string, string> overrides, bool validateOnly)
    {
        var result = broker.Logs.AlterTopicConfig(topic, overrides, validateOnly);
        return (result.Error, result.ErrorMessage);
    }
}
