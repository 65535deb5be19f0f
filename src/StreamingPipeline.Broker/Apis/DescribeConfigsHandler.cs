using System.Globalization;
using StreamingPipeline.Broker.Log;
using StreamingPipeline.Broker.Network;
using StreamingPipeline.Protocol;
using StreamingPipeline.Protocol.Messages;

namespace StreamingPipeline.Broker.Apis;

/// <summary>
/// DescribeConfigs (key 32), v0-4, as Kafka answers it. A topic (resource type 2) reports every log setting with its
/// source: DYNAMIC_TOPIC_CONFIG for an override, STATIC_BROKER_CONFIG when the broker's own default for it (the
/// <c>log.*</c> synonym) differs from Kafka's, DEFAULT_CONFIG otherwise; with includeSynonyms each entry lists the
/// values it hides, most specific first. The broker (type 4, named by its id or empty) reports its static settings
/// and the <c>log.*</c> defaults topics inherit, read-only. Other resource types get INVALID_REQUEST; v3+ adds types.
/// </summary>
internal sealed class DescribeConfigsHandler(BrokerState broker) : ApiHandler<DescribeConfigsRequest, DescribeConfigsResponse>
{
    private const sbyte TopicResource = 2;
    private const sbyte BrokerResource = 4;
    private const sbyte DynamicTopicConfig = 1;
    private const sbyte StaticBrokerConfig = 4;
    private const sbyte DefaultConfig = 5;

    private static readonly Dictionary<string, string> NoOverrides = new(StringComparer.Ordinal);
    private static readonly Dictionary<string, string> KafkaDefaults =
        new LogConfig().Describe(NoOverrides).ToDictionary(c => c.Name, c => c.Value, StringComparer.Ordinal);

    public override short MinVersion => 0;
    public override short MaxVersion => 4;

    protected override ValueTask<DescribeConfigsResponse?> HandleAsync(RequestContext context, DescribeConfigsRequest request, CancellationToken cancellationToken)
    {
        var response = new DescribeConfigsResponse();
        var brokerDefaults = broker.Logs.Defaults.Describe(NoOverrides).ToDictionary(c => c.Name, c => c.Value, StringComparer.Ordinal);
        foreach (var resource in request.Resources)
        {
            var result = new DescribeConfigsResponse.DescribeConfigsResult { ResourceType = resource.ResourceType, ResourceName = resource.ResourceName };
            response.Results.Add(result);
            IEnumerable<DescribeConfigsResponse.DescribeConfigsResourceResult> entries;
            switch (resource.ResourceType)
            {
                case TopicResource when broker.Logs.GetTopic(resource.ResourceName) is { } topic:
                    entries = topic.Config.Describe(topic.ConfigOverrides).Select(c => TopicEntry(c.Name, c.Value, !c.IsDefault, brokerDefaults, request.IncludeSynonyms));
                    break;
                case TopicResource:
                    result.ErrorCode = (short)ErrorCode.UnknownTopicOrPartition;
                    result.ErrorMessage = $"Topic {resource.ResourceName} does not exist.";
                    continue;
                case BrokerResource when resource.ResourceName == broker.NodeId.ToString(CultureInfo.InvariantCulture) || resource.ResourceName.Length == 0:
                    entries = BrokerEntries(brokerDefaults, request.IncludeSynonyms);
                    break;
                default:
                    result.ErrorCode = (short)ErrorCode.InvalidRequest;
                    result.ErrorMessage = $"Resource type {resource.ResourceType} '{resource.ResourceName}' is not described by this broker.";
                    continue;
            }
            var keys = resource.ConfigurationKeys?.ToHashSet(StringComparer.Ordinal);
            result.Configs.AddRange(entries.Where(e => keys is null || keys.Contains(e.Name)));
        }
        return ValueTask.FromResult<DescribeConfigsResponse?>(response);
    }

    private static DescribeConfigsResponse.DescribeConfigsResourceResult TopicEntry(
        string name, string value, bool overridden, Dictionary<string, string> brokerDefaults, bool includeSynonyms)
    {
        var brokerName = TopicConfigCatalog.BrokerName(name);
        var brokerValue = brokerDefaults.GetValueOrDefault(name, value);
        var kafkaValue = KafkaDefaults.GetValueOrDefault(name, brokerValue);
        var brokerSource = brokerValue == kafkaValue ? DefaultConfig : StaticBrokerConfig;
        var entry = Entry(name, value, overridden ? DynamicTopicConfig : brokerSource, TopicConfigCatalog.TypeOf(name), readOnly: false);
        if (includeSynonyms)
        {
            if (overridden)
            {
                entry.Synonyms.Add(Synonym(name, value, DynamicTopicConfig));
            }
            if (brokerSource == StaticBrokerConfig)
            {
                entry.Synonyms.Add(Synonym(brokerName, brokerValue, StaticBrokerConfig));
            }
            entry.Synonyms.Add(Synonym(brokerName, kafkaValue, DefaultConfig));
        }
        return entry;
    }

    private IEnumerable<DescribeConfigsResponse.DescribeConfigsResourceResult> BrokerEntries(Dictionary<string, string> brokerDefaults, bool includeSynonyms)
    {
        var options = broker.Options;
        yield return Static("broker.id", options.NodeId.ToString(CultureInfo.InvariantCulture), TopicConfigCatalog.IntType, includeSynonyms);
        yield return Static("num.partitions", options.DefaultPartitions.ToString(CultureInfo.InvariantCulture), TopicConfigCatalog.IntType, includeSynonyms);
        yield return Static("auto.create.topics.enable", options.AutoCreateTopics ? "true" : "false", TopicConfigCatalog.BooleanType, includeSynonyms);
        yield return Static("socket.request.max.bytes", options.MaxRequestBytes.ToString(CultureInfo.InvariantCulture), TopicConfigCatalog.IntType, includeSynonyms);
        yield return Static("log.dirs", options.DataDirectory, TopicConfigCatalog.StringType, includeSynonyms);
        yield return Static("group.initial.rebalance.delay.ms", ((long)options.GroupInitialRebalanceDelay.TotalMilliseconds).ToString(CultureInfo.InvariantCulture), TopicConfigCatalog.IntType, includeSynonyms);
        yield return Static("log.retention.check.interval.ms", ((long)options.RetentionCheckInterval.TotalMilliseconds).ToString(CultureInfo.InvariantCulture), TopicConfigCatalog.LongType, includeSynonyms);
        yield return Static("log.cleaner.enable", options.LogCleanerEnabled ? "true" : "false", TopicConfigCatalog.BooleanType, includeSynonyms);
        yield return Static("log.cleaner.dedupe.buffer.size", options.LogCleanerDedupeBufferSize.ToString(CultureInfo.InvariantCulture), TopicConfigCatalog.LongType, includeSynonyms);
        yield return Static("log.cleaner.backoff.ms", ((long)options.LogCleanerBackoff.TotalMilliseconds).ToString(CultureInfo.InvariantCulture), TopicConfigCatalog.LongType, includeSynonyms);

        // Kafka writes "no limit" as Double.MaxValue.
        var ioRate = double.IsPositiveInfinity(options.LogCleanerIoMaxBytesPerSecond) ? double.MaxValue : options.LogCleanerIoMaxBytesPerSecond;
        yield return Static("log.cleaner.io.max.bytes.per.second", ioRate.ToString("R", CultureInfo.InvariantCulture), TopicConfigCatalog.DoubleType, includeSynonyms);
        foreach (var (topicName, value) in brokerDefaults)
        {
            var brokerName = TopicConfigCatalog.BrokerName(topicName);
            var kafkaValue = KafkaDefaults.GetValueOrDefault(topicName, value);
            var source = value == kafkaValue ? DefaultConfig : StaticBrokerConfig;
            var entry = Entry(brokerName, value, source, TopicConfigCatalog.TypeOf(topicName), readOnly: true);
            if (includeSynonyms)
            {
                if (source == StaticBrokerConfig)
                {
                    entry.Synonyms.Add(Synonym(brokerName, value, StaticBrokerConfig));
                }
                entry.Synonyms.Add(Synonym(brokerName, kafkaValue, DefaultConfig));
            }
            yield return entry;
        }
    }

    private static DescribeConfigsResponse.DescribeConfigsResourceResult Static(string name, string value, sbyte type, bool includeSynonyms)
    {
        var entry = Entry(name, value, StaticBrokerConfig, type, readOnly: true);
        if (includeSynonyms)
        {
            entry.Synonyms.Add(Synonym(name, value, StaticBrokerConfig));
        }
        return entry;
    }

    private static DescribeConfigsResponse.DescribeConfigsResourceResult Entry(string name, string value, sbyte source, sbyte type, bool readOnly) => new()
    {
        Name = name,
        Value = value,
        ConfigSource = source,
        IsDefault = source == DefaultConfig,
        ReadOnly = readOnly,
        ConfigType = type,
        Documentation = null,
    };

    private static DescribeConfigsResponse.DescribeConfigsSynonym Synonym(string name, string value, sbyte source) =>
        new() { Name = name, Value = value, Source = source };
}
