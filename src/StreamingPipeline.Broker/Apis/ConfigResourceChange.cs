using System.Globalization;
using StreamingPipeline.Broker.Log;
using StreamingPipeline.Protocol;

namespace StreamingPipeline.Broker.Apis;

/// <summary>
/// The part IncrementalAlterConfigs and AlterConfigs share: checking the resources of a request and applying a
/// topic's new overrides through the log manager or a broker resource's new dynamic configs through
/// <see cref="DynamicBrokerConfigs"/>, with Kafka's error codes.
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
    /// Finds the current overrides of the topic or explains why the resource cannot be altered: a type other than
    /// topic (callers handle broker resources with <see cref="CheckBroker"/> first), or a topic that does not exist.
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
            default:
                return (ErrorCode.InvalidRequest, $"Resource type {type} cannot be altered by this broker.");
        }
    }

    /// <summary>
    /// Checks a broker resource's name as Kafka does: "" is the cluster-wide default (<paramref name="perBroker"/>
    /// false), this broker's id is this broker; anything else is INVALID_REQUEST with Kafka's message.
    /// </summary>
    public static (ErrorCode Error, string? Message) CheckBroker(BrokerState broker, string name, out bool perBroker)
    {
        perBroker = name.Length > 0;
        if (!perBroker)
        {
            return (ErrorCode.None, null);
        }
        if (!int.TryParse(name, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var id))
        {
            return (ErrorCode.InvalidRequest, $"Node id must be an integer, but it is: {name}");
        }
        return id == broker.NodeId
            ? (ErrorCode.None, null)
            : (ErrorCode.InvalidRequest, $"Unexpected broker id, expected {broker.NodeId}, but received {name}");
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
