using System.Globalization;
using StreamingPipeline.Broker.Log;
using StreamingPipeline.Broker.Network;
using StreamingPipeline.Protocol;
using StreamingPipeline.Protocol.Messages;

namespace StreamingPipeline.Broker.Apis;

/// <summary>
/// DescribeConfigs (key 32), v0-4, as Kafka answers it. A topic (resource type 2) reports every log setting with its
/// source: DYNAMIC_TOPIC_CONFIG for an override, else the source of the broker config that supplies its default (the
/// <c>log.*</c> synonym): DYNAMIC_BROKER_CONFIG or DYNAMIC_DEFAULT_BROKER_CONFIG when changed at runtime
/// (<see cref="DynamicBrokerConfigs"/>), STATIC_BROKER_CONFIG when the broker's start-up value differs from Kafka's,
/// DEFAULT_CONFIG otherwise; with includeSynonyms each entry lists the values it hides, most specific first. The
/// broker (type 4, named by its id or empty) reports its settings and the <c>log.*</c> defaults topics inherit, the
/// ones that can change at runtime not read-only, with the same sources. Other resource types get INVALID_REQUEST;
/// v3+ adds types.
/// </summary>
internal sealed class DescribeConfigsHandler(BrokerState broker) : ApiHandler<DescribeConfigsRequest, DescribeConfigsResponse>
{
    private const sbyte TopicResource = 2;
    private const sbyte BrokerResource = 4;
    private const sbyte DynamicTopicConfig = 1;
    private const sbyte DynamicBrokerConfig = 2;
    private const sbyte DynamicDefaultBrokerConfig = 3;
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
        var staticDefaults = broker.Options.LogDefaults.Describe(NoOverrides).ToDictionary(c => c.Name, c => c.Value, StringComparer.Ordinal);
        foreach (var resource in request.Resources)
        {
            var result = new DescribeConfigsResponse.DescribeConfigsResult { ResourceType = resource.ResourceType, ResourceName = resource.ResourceName };
            response.Results.Add(result);
            IEnumerable<DescribeConfigsResponse.DescribeConfigsResourceResult> entries;
            switch (resource.ResourceType)
            {
                case TopicResource when broker.Logs.GetTopic(resource.ResourceName) is { } topic:
                    entries = topic.Config.Describe(topic.ConfigOverrides).Select(c => TopicEntry(c.Name, c.Value, !c.IsDefault, staticDefaults, request.IncludeSynonyms));
                    break;
                case TopicResource:
                    result.ErrorCode = (short)ErrorCode.UnknownTopicOrPartition;
                    result.ErrorMessage = $"Topic {resource.ResourceName} does not exist.";
                    continue;
                case BrokerResource when resource.ResourceName == broker.NodeId.ToString(CultureInfo.InvariantCulture) || resource.ResourceName.Length == 0:
                    entries = BrokerEntries(brokerDefaults, staticDefaults, request.IncludeSynonyms);
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

    private DescribeConfigsResponse.DescribeConfigsResourceResult TopicEntry(
        string name, string value, bool overridden, Dictionary<string, string> staticDefaults, bool includeSynonyms)
    {
        var brokerName = TopicConfigCatalog.BrokerName(name);
        var staticValue = staticDefaults.GetValueOrDefault(name, value);
        var sources = BrokerSources(brokerName, staticValue, KafkaDefaults.GetValueOrDefault(name, staticValue));
        var entry = Entry(name, value, overridden ? DynamicTopicConfig : sources[0].Source, TopicConfigCatalog.TypeOf(name), readOnly: false);
        if (includeSynonyms)
        {
            if (overridden)
            {
                entry.Synonyms.Add(Synonym(name, value, DynamicTopicConfig));
            }
            foreach (var (source, sourceValue) in sources)
            {
                entry.Synonyms.Add(Synonym(brokerName, sourceValue, source));
            }
        }
        return entry;
    }

    private IEnumerable<DescribeConfigsResponse.DescribeConfigsResourceResult> BrokerEntries(
        Dictionary<string, string> brokerDefaults, Dictionary<string, string> staticDefaults, bool includeSynonyms)
    {
        var options = broker.Options;
        var current = broker.DynamicConfigs.Current;
        yield return Static("broker.id", options.NodeId.ToString(CultureInfo.InvariantCulture), TopicConfigCatalog.IntType, includeSynonyms);
        yield return Static("num.partitions", options.DefaultPartitions.ToString(CultureInfo.InvariantCulture), TopicConfigCatalog.IntType, includeSynonyms);
        yield return Static("auto.create.topics.enable", options.AutoCreateTopics ? "true" : "false", TopicConfigCatalog.BooleanType, includeSynonyms);
        yield return Static("socket.request.max.bytes", options.MaxRequestBytes.ToString(CultureInfo.InvariantCulture), TopicConfigCatalog.IntType, includeSynonyms);
        yield return Static("log.dirs", options.DataDirectory, TopicConfigCatalog.StringType, includeSynonyms);
        yield return Static("group.initial.rebalance.delay.ms", ((long)options.GroupInitialRebalanceDelay.TotalMilliseconds).ToString(CultureInfo.InvariantCulture), TopicConfigCatalog.IntType, includeSynonyms);
        yield return Static("log.retention.check.interval.ms", ((long)options.RetentionCheckInterval.TotalMilliseconds).ToString(CultureInfo.InvariantCulture), TopicConfigCatalog.LongType, includeSynonyms);
        yield return Static("log.cleaner.enable", options.LogCleanerEnabled ? "true" : "false", TopicConfigCatalog.BooleanType, includeSynonyms);
        yield return Dynamic(
            DynamicBrokerConfigs.CleanerDedupeBufferName,
            current.CleanerDedupeBufferBytes.ToString(CultureInfo.InvariantCulture),
            options.LogCleanerDedupeBufferSize.ToString(CultureInfo.InvariantCulture),
            TopicConfigCatalog.LongType,
            includeSynonyms);
        yield return Dynamic(
            DynamicBrokerConfigs.CleanerBackoffName,
            ((long)current.CleanerBackoff.TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
            ((long)options.LogCleanerBackoff.TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
            TopicConfigCatalog.LongType,
            includeSynonyms);
        yield return Dynamic(
            DynamicBrokerConfigs.CleanerIoRateName,
            IoRate(current.CleanerIoMaxBytesPerSecond),
            IoRate(options.LogCleanerIoMaxBytesPerSecond),
            TopicConfigCatalog.DoubleType,
            includeSynonyms);
        foreach (var (topicName, value) in brokerDefaults)
        {
            var brokerName = TopicConfigCatalog.BrokerName(topicName);
            var staticValue = staticDefaults.GetValueOrDefault(topicName, value);
            var sources = BrokerSources(brokerName, staticValue, KafkaDefaults.GetValueOrDefault(topicName, staticValue));
            var entry = Entry(brokerName, value, sources[0].Source, TopicConfigCatalog.TypeOf(topicName), readOnly: false);
            if (includeSynonyms)
            {
                foreach (var (source, sourceValue) in sources)
                {
                    entry.Synonyms.Add(Synonym(brokerName, sourceValue, source));
                }
            }
            yield return entry;
        }
    }

    /// <summary>
    /// Where broker config <paramref name="brokerName"/> takes its value from, most specific first: this broker's
    /// dynamic value, the cluster-wide dynamic default, the start-up value when it differs from Kafka's default (or
    /// when Kafka's default is not known), and Kafka's default.
    /// </summary>
    private List<(sbyte Source, string Value)> BrokerSources(string brokerName, string staticValue, string? kafkaDefault)
    {
        var sources = new List<(sbyte Source, string Value)>();
        if (broker.DynamicConfigs.Layer(perBroker: true).TryGetValue(brokerName, out var perBroker))
        {
            sources.Add((DynamicBrokerConfig, perBroker));
        }
        if (broker.DynamicConfigs.Layer(perBroker: false).TryGetValue(brokerName, out var clusterDefault))
        {
            sources.Add((DynamicDefaultBrokerConfig, clusterDefault));
        }
        if (kafkaDefault is null || staticValue != kafkaDefault)
        {
            sources.Add((StaticBrokerConfig, staticValue));
        }
        if (kafkaDefault is not null)
        {
            sources.Add((DefaultConfig, kafkaDefault));
        }
        return sources;
    }

    private DescribeConfigsResponse.DescribeConfigsResourceResult Dynamic(string name, string value, string staticValue, sbyte type, bool includeSynonyms)
    {
        var sources = BrokerSources(name, staticValue, kafkaDefault: null);
        var entry = Entry(name, value, sources[0].Source, type, readOnly: false);
        if (includeSynonyms)
        {
            foreach (var (source, sourceValue) in sources)
            {
                entry.Synonyms.Add(Synonym(name, sourceValue, source));
            }
        }
        return entry;
    }

    /// <summary>An I/O rate as Kafka writes it, "no limit" being Double.MaxValue.</summary>
    private static string IoRate(double bytesPerSecond) =>
        (double.IsPositiveInfinity(bytesPerSecond) ? double.MaxValue : bytesPerSecond).ToString("R", CultureInfo.InvariantCulture);

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
