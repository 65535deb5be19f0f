using Confluent.Kafka;
using Confluent.Kafka.Admin;
using StreamingPipeline.Broker.Tests.Integration.Transactions;
using StreamingPipeline.Protocol.Messages;
using ProtocolError = StreamingPipeline.Protocol.ErrorCode;

namespace StreamingPipeline.Broker.Tests.Integration.Admin;

/// <summary>Dynamic broker configs: IncrementalAlterConfigs and AlterConfigs of the BROKER resource, as Kafka answers them.</summary>
public class BrokerConfigAlterTests : IDisposable
{
    private const sbyte BrokerResource = 4;
    private const sbyte Set = 0;
    private const sbyte Delete = 1;

    private readonly string _dataDirectory = Directory.CreateTempSubdirectory("broker-dynamic-configs-").FullName;

    [Fact]
    public async Task BrokerAndClusterDefaultChangesApplyAtOnceAreDescribedWithTheirSourcesAndSurviveARestart()
    {
        await using (var broker = await Start())
        {
            using var admin = KafkaClients.Admin(broker.BootstrapServers);
            using var producer = KafkaClients.Producer(broker.BootstrapServers);
            await producer.ProduceAsync("inherits", new Message<string, string> { Key = "k", Value = new string('x', 3000) });

            // The cluster-wide default (resource "") is not expressible through librdkafka, which refuses an empty name.
            using (var client = await RawKafkaClient.ConnectAsync(broker.Port))
            {
                var answer = await AlterRawAsync(client, "", ("log.retention.ms", "3600000", Set), ("message.max.bytes", "5000", Set));
                Assert.Equal((short)ProtocolError.None, answer.ErrorCode);
            }
            await admin.IncrementalAlterConfigsAsync(new Dictionary<ConfigResource, List<ConfigEntry>>
            {
                [ThisBroker] =
                [
                    new ConfigEntry { Name = "message.max.bytes", Value = "2000", IncrementalOperation = AlterConfigOpType.Set },
                    new ConfigEntry { Name = "log.cleaner.io.max.bytes.per.second", Value = "1048576", IncrementalOperation = AlterConfigOpType.Set },
                ],
            });

            // In effect at once: topics without an override inherit, the cleaner throttles at the new rate.
            var tooLarge = await Assert.ThrowsAsync<ProduceException<string, string>>(() =>
                producer.ProduceAsync("inherits", new Message<string, string> { Key = "k", Value = new string('x', 3000) }));
            Assert.Equal(ErrorCode.MsgSizeTooLarge, tooLarge.Error.Code);
            Assert.Equal(3_600_000, broker.State.Logs.GetPartition("inherits", 0)!.Config.RetentionMs);
            Assert.Equal(7_200_000, broker.State.Logs.GetPartition("overrides", 0)!.Config.RetentionMs);
            Assert.Equal(1_048_576, broker.Cleaner.IoMaxBytesPerSecond);

            await AssertDescribedAsync(admin);
        }

        await using (var restarted = await Start())
        {
            using var admin = KafkaClients.Admin(restarted.BootstrapServers);
            Assert.Equal(3_600_000, restarted.State.Logs.GetPartition("inherits", 0)!.Config.RetentionMs);
            Assert.Equal(2000, restarted.State.Logs.GetPartition("inherits", 0)!.Config.MaxMessageBytes);
            Assert.Equal(1_048_576, restarted.Cleaner.IoMaxBytesPerSecond);
            await AssertDescribedAsync(admin);

            // DELETE returns a setting to the next layer down: the broker's message.max.bytes to the cluster default.
            await admin.IncrementalAlterConfigsAsync(new Dictionary<ConfigResource, List<ConfigEntry>>
            {
                [ThisBroker] = [new ConfigEntry { Name = "message.max.bytes", IncrementalOperation = AlterConfigOpType.Delete }],
            });
            using (var client = await RawKafkaClient.ConnectAsync(restarted.Port))
            {
                Assert.Equal((short)ProtocolError.None, (await AlterRawAsync(client, "", ("log.retention.ms", null, Delete))).ErrorCode);
            }
            var topic = await DescribeAsync(admin, new ConfigResource { Type = ResourceType.Topic, Name = "inherits" });
            Assert.Equal(("5000", ConfigSource.DynamicDefaultBrokerConfig), (topic["max.message.bytes"].Value, topic["max.message.bytes"].Source));
            Assert.Equal(("604800000", ConfigSource.DefaultConfig), (topic["retention.ms"].Value, topic["retention.ms"].Source));
            Assert.Equal(604_800_000, restarted.State.Logs.GetPartition("inherits", 0)!.Config.RetentionMs);
        }
    }

    [Fact]
    public async Task ReadOnlyAndUnknownConfigsBadValuesAndOtherBrokerIdsAreInvalidRequestAndChangeNothing()
    {
        await using var broker = await Start();
        using var admin = KafkaClients.Admin(broker.BootstrapServers);

        var readOnly = await AlterFailureAsync(admin, ThisBroker, "log.dirs", "/elsewhere");
        var cleanerSwitch = await AlterFailureAsync(admin, ThisBroker, "log.cleaner.enable", "false");
        var unknown = await AlterFailureAsync(admin, ThisBroker, "no.such.config", "1");
        var badValue = await AlterFailureAsync(admin, ThisBroker, "log.retention.ms", "soon");

        // librdkafka sends a broker resource to that broker, so another id needs the protocol spoken directly.
        using var client = await RawKafkaClient.ConnectAsync(broker.Port);
        var otherBroker = await AlterRawAsync(client, "2", ("log.retention.ms", "1000", Set));
        var notAnId = await AlterRawAsync(client, "one", ("log.retention.ms", "1000", Set));
#pragma warning disable CS0618 // AlterConfigs is deprecated in the client, and still what older tools send.
        var legacyReadOnly = await Assert.ThrowsAsync<AlterConfigsException>(() => admin.AlterConfigsAsync(
            new Dictionary<ConfigResource, List<ConfigEntry>> { [ThisBroker] = [new ConfigEntry { Name = "broker.id", Value = "7" }] }));
#pragma warning restore CS0618

        Assert.Equal(ErrorCode.InvalidRequest, readOnly.Error.Code);
        Assert.Contains("Cannot update these configs dynamically", readOnly.Error.Reason, StringComparison.Ordinal);
        Assert.Equal(ErrorCode.InvalidRequest, cleanerSwitch.Error.Code);
        Assert.Equal(ErrorCode.InvalidRequest, unknown.Error.Code);
        Assert.Equal(ErrorCode.InvalidRequest, badValue.Error.Code);
        Assert.Contains("soon", badValue.Error.Reason, StringComparison.Ordinal);
        Assert.Equal((short)ProtocolError.InvalidRequest, otherBroker.ErrorCode);
        Assert.Equal("Unexpected broker id, expected 1, but received 2", otherBroker.ErrorMessage);
        Assert.Equal((short)ProtocolError.InvalidRequest, notAnId.ErrorCode);
        Assert.Equal(ErrorCode.InvalidRequest, legacyReadOnly.Results.Single().Error.Code);
        Assert.Empty(broker.State.DynamicConfigs.Layer(perBroker: true));
        Assert.False(File.Exists(Path.Combine(_dataDirectory, DynamicBrokerConfigs.FileName)));
        var described = await DescribeAsync(admin, ThisBroker);
        Assert.Equal(ConfigSource.DefaultConfig, described["log.retention.ms"].Source);
        Assert.True(described["log.dirs"].IsReadOnly);
        Assert.False(described["log.retention.ms"].IsReadOnly);
    }

    [Fact]
    public async Task LegacyAlterConfigsReplacesTheBrokersWholeLayer()
    {
        await using var broker = await Start();
        using var admin = KafkaClients.Admin(broker.BootstrapServers);
        await admin.IncrementalAlterConfigsAsync(new Dictionary<ConfigResource, List<ConfigEntry>>
        {
            [ThisBroker] =
            [
                new ConfigEntry { Name = "log.segment.bytes", Value = "1048576", IncrementalOperation = AlterConfigOpType.Set },
                new ConfigEntry { Name = "log.cleanup.policy", Value = "compact", IncrementalOperation = AlterConfigOpType.Append },
            ],
        });
        Assert.Equal(1_048_576, broker.State.Logs.GetPartition("inherits", 0)!.Config.SegmentBytes);
        Assert.Equal("compact,delete", broker.State.Logs.GetPartition("inherits", 0)!.Config.CleanupPolicy);

#pragma warning disable CS0618 // AlterConfigs is deprecated in the client, and still what older tools send.
        await admin.AlterConfigsAsync(new Dictionary<ConfigResource, List<ConfigEntry>> { [ThisBroker] = [new ConfigEntry { Name = "log.retention.bytes", Value = "1000000" }] });
#pragma warning restore CS0618

        var config = broker.State.Logs.GetPartition("inherits", 0)!.Config;
        Assert.Equal((1_073_741_824L, "delete", 1_000_000L), (config.SegmentBytes, config.CleanupPolicy, config.RetentionBytes));
        Assert.Equal(["log.retention.bytes"], broker.State.DynamicConfigs.Layer(perBroker: true).Keys);
    }

    public void Dispose() => Directory.Delete(_dataDirectory, recursive: true);

    private static ConfigResource ThisBroker => new() { Type = ResourceType.Broker, Name = "1" };

    private async Task<EmbeddedBroker> Start() =>
        await EmbeddedBroker.CreateBuilder()
            .WithDataDirectory(_dataDirectory)
            .WithOptions(o => o with { LogCleanerEnabled = false })
            .WithTopic("inherits", 1)
            .WithTopic("overrides", 1, new Dictionary<string, string> { ["retention.ms"] = "7200000" })
            .StartAsync();

    private static async Task AssertDescribedAsync(IAdminClient admin)
    {
        var brokerConfigs = await DescribeAsync(admin, ThisBroker);
        Assert.Equal(("3600000", ConfigSource.DynamicDefaultBrokerConfig), (brokerConfigs["log.retention.ms"].Value, brokerConfigs["log.retention.ms"].Source));
        Assert.Equal(("2000", ConfigSource.DynamicBrokerConfig), (brokerConfigs["message.max.bytes"].Value, brokerConfigs["message.max.bytes"].Source));
        Assert.Equal(
            [("message.max.bytes", "2000", ConfigSource.DynamicBrokerConfig), ("message.max.bytes", "5000", ConfigSource.DynamicDefaultBrokerConfig), ("message.max.bytes", "1048588", ConfigSource.DefaultConfig)],
            brokerConfigs["message.max.bytes"].Synonyms.Select(s => (s.Name, s.Value, s.Source)));
        Assert.Equal(("1048576", ConfigSource.DynamicBrokerConfig), (brokerConfigs["log.cleaner.io.max.bytes.per.second"].Value, brokerConfigs["log.cleaner.io.max.bytes.per.second"].Source));
        Assert.False(brokerConfigs["message.max.bytes"].IsReadOnly);

        var inherits = await DescribeAsync(admin, new ConfigResource { Type = ResourceType.Topic, Name = "inherits" });
        Assert.Equal(("3600000", ConfigSource.DynamicDefaultBrokerConfig), (inherits["retention.ms"].Value, inherits["retention.ms"].Source));
        Assert.Equal(("2000", ConfigSource.DynamicBrokerConfig), (inherits["max.message.bytes"].Value, inherits["max.message.bytes"].Source));
        Assert.Equal(
            [("log.retention.ms", "3600000", ConfigSource.DynamicDefaultBrokerConfig), ("log.retention.ms", "604800000", ConfigSource.DefaultConfig)],
            inherits["retention.ms"].Synonyms.Select(s => (s.Name, s.Value, s.Source)));
        var overrides = await DescribeAsync(admin, new ConfigResource { Type = ResourceType.Topic, Name = "overrides" });
        Assert.Equal(("7200000", ConfigSource.DynamicTopicConfig), (overrides["retention.ms"].Value, overrides["retention.ms"].Source));
    }

    /// <remarks>librdkafka always asks for synonyms.</remarks>
    private static async Task<Dictionary<string, ConfigEntryResult>> DescribeAsync(IAdminClient admin, ConfigResource resource) =>
        (await admin.DescribeConfigsAsync([resource])).Single().Entries;

    private static async Task<IncrementalAlterConfigsReport> AlterFailureAsync(IAdminClient admin, ConfigResource resource, string name, string value)
    {
        var failure = await Assert.ThrowsAsync<IncrementalAlterConfigsException>(() => admin.IncrementalAlterConfigsAsync(
            new Dictionary<ConfigResource, List<ConfigEntry>> { [resource] = [new ConfigEntry { Name = name, Value = value, IncrementalOperation = AlterConfigOpType.Set }] }));
        return failure.Results.Single();
    }

    private static async Task<IncrementalAlterConfigsResponse.AlterConfigsResourceResponse> AlterRawAsync(
        RawKafkaClient client, string brokerName, params (string Name, string? Value, sbyte Operation)[] configs)
    {
        var response = await client.SendAsync<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse>(new IncrementalAlterConfigsRequest
        {
            Resources =
            [
                new IncrementalAlterConfigsRequest.AlterConfigsResource
                {
                    ResourceType = BrokerResource,
                    ResourceName = brokerName,
                    Configs = [.. configs.Select(c => new IncrementalAlterConfigsRequest.AlterableConfig { Name = c.Name, Value = c.Value, ConfigOperation = c.Operation })],
                },
            ],
        }, 1);
        return response.Responses.Single();
    }
}
