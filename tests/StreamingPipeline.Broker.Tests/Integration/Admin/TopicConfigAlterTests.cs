using Confluent.Kafka;
using Confluent.Kafka.Admin;
using LogConfig = StreamingPipeline.Broker.Log.LogConfig;

namespace StreamingPipeline.Broker.Tests.Integration.Admin;

/// <summary>IncrementalAlterConfigs, AlterConfigs and DescribeConfigs through the real admin client.</summary>
public class TopicConfigAlterTests : IDisposable
{
    private readonly string _dataDirectory = Directory.CreateTempSubdirectory("broker-configs-").FullName;

    [Fact]
    public async Task AnIncrementalAlterIsDescribedWithItsSourceAndSynonymsAndTakesEffectAtOnce()
    {
        // The broker's own default for retention.bytes differs from Kafka's, so it is a static broker config.
        await using var broker = await TestBroker.StartAsync(b => b
            .WithOptions(o => o with { LogDefaults = new LogConfig { RetentionBytes = 5_000_000 } })
            .WithTopic("altered", 1));
        using var admin = KafkaClients.Admin(broker.BootstrapServers);
        using var producer = broker.Producer();
        await producer.ProduceAsync("altered", new Message<string, string> { Key = "k", Value = new string('x', 3000) });

        await admin.IncrementalAlterConfigsAsync(new Dictionary<ConfigResource, List<ConfigEntry>>
        {
            [Topic("altered")] =
            [
                new ConfigEntry { Name = "retention.ms", Value = "3600000", IncrementalOperation = AlterConfigOpType.Set },
                new ConfigEntry { Name = "max.message.bytes", Value = "2000", IncrementalOperation = AlterConfigOpType.Set },
            ],
        });
        var described = await DescribeAsync(admin, "altered");
        var tooLarge = await Assert.ThrowsAsync<ProduceException<string, string>>(() =>
            producer.ProduceAsync("altered", new Message<string, string> { Key = "k", Value = new string('x', 3000) }));

        var retentionMs = described["retention.ms"];
        Assert.Equal("3600000", retentionMs.Value);
        Assert.Equal(ConfigSource.DynamicTopicConfig, retentionMs.Source);
        Assert.False(retentionMs.IsDefault);
        Assert.Equal(
            [("retention.ms", "3600000", ConfigSource.DynamicTopicConfig), ("log.retention.ms", "604800000", ConfigSource.DefaultConfig)],
            retentionMs.Synonyms.Select(s => (s.Name, s.Value, s.Source)));
        Assert.Equal(ConfigSource.StaticBrokerConfig, described["retention.bytes"].Source);
        Assert.Equal("5000000", described["retention.bytes"].Value);
        Assert.Equal(ConfigSource.DefaultConfig, described["segment.ms"].Source);
        Assert.True(described["segment.ms"].IsDefault);
        Assert.Equal(ConfigSource.DynamicTopicConfig, described["max.message.bytes"].Source);
        Assert.Equal(ErrorCode.MsgSizeTooLarge, tooLarge.Error.Code);

        // DELETE returns a setting to its default; the other override stays.
        await admin.IncrementalAlterConfigsAsync(new Dictionary<ConfigResource, List<ConfigEntry>>
        {
            [Topic("altered")] = [new ConfigEntry { Name = "max.message.bytes", IncrementalOperation = AlterConfigOpType.Delete }],
        });
        var afterDelete = await DescribeAsync(admin, "altered");
        await producer.ProduceAsync("altered", new Message<string, string> { Key = "k", Value = new string('x', 3000) });
        Assert.Equal(ConfigSource.DefaultConfig, afterDelete["max.message.bytes"].Source);
        Assert.Equal("1048588", afterDelete["max.message.bytes"].Value);
        Assert.Equal("3600000", afterDelete["retention.ms"].Value);
    }

    [Fact]
    public async Task TheLegacyAlterReplacesEveryOverrideAndValidateOnlyChangesNothing()
    {
        await using var broker = await TestBroker.StartAsync(b => b.WithTopic("legacy", 1, new Dictionary<string, string> { ["retention.ms"] = "3600000" }));
        using var admin = KafkaClients.Admin(broker.BootstrapServers);

        await admin.IncrementalAlterConfigsAsync(
            new Dictionary<ConfigResource, List<ConfigEntry>> { [Topic("legacy")] = [new ConfigEntry { Name = "segment.ms", Value = "60000", IncrementalOperation = AlterConfigOpType.Set }] },
            new IncrementalAlterConfigsOptions { ValidateOnly = true });
        var afterValidate = await DescribeAsync(admin, "legacy");
#pragma warning disable CS0618 // AlterConfigs is deprecated in the client, and still what older tools send.
        await admin.AlterConfigsAsync(new Dictionary<ConfigResource, List<ConfigEntry>> { [Topic("legacy")] = [new ConfigEntry { Name = "segment.ms", Value = "60000" }] });
#pragma warning restore CS0618
        var afterAlter = await DescribeAsync(admin, "legacy");

        Assert.Equal(ConfigSource.DefaultConfig, afterValidate["segment.ms"].Source);
        Assert.Equal("60000", afterAlter["segment.ms"].Value);
        Assert.Equal(ConfigSource.DynamicTopicConfig, afterAlter["segment.ms"].Source);
        Assert.Equal(ConfigSource.DefaultConfig, afterAlter["retention.ms"].Source);
        Assert.Equal(60000, broker.Broker.State.Logs.GetPartition("legacy", 0)!.Config.SegmentMs);
    }

    [Fact]
    public async Task BadAltersGetKafkasErrorsAndChangeNothing()
    {
        await using var broker = await TestBroker.StartAsync(b => b.WithTopic("strict", 1));
        using var admin = KafkaClients.Admin(broker.BootstrapServers);

        var unknownName = await AlterFailureAsync(admin, Topic("strict"), "no.such.config", "1");
        var badValue = await AlterFailureAsync(admin, Topic("strict"), "retention.ms", "soon");
        var unknownTopic = await AlterFailureAsync(admin, Topic("missing"), "retention.ms", "1000");
        var appendToNumber = await Assert.ThrowsAsync<IncrementalAlterConfigsException>(() => admin.IncrementalAlterConfigsAsync(
            new Dictionary<ConfigResource, List<ConfigEntry>> { [Topic("strict")] = [new ConfigEntry { Name = "retention.ms", Value = "1", IncrementalOperation = AlterConfigOpType.Append }] }));

        Assert.Equal(ErrorCode.InvalidConfig, unknownName.Error.Code);
        Assert.Contains("no.such.config", unknownName.Error.Reason, StringComparison.Ordinal);
        Assert.Equal(ErrorCode.InvalidConfig, badValue.Error.Code);
        Assert.Contains("soon", badValue.Error.Reason, StringComparison.Ordinal);
        Assert.Equal(ErrorCode.UnknownTopicOrPart, unknownTopic.Error.Code);
        Assert.Equal(ErrorCode.InvalidConfig, appendToNumber.Results.Single().Error.Code);
        Assert.Empty(broker.Broker.State.Logs.GetTopic("strict")!.ConfigOverrides);
    }

    [Fact]
    public async Task AShorterRetentionDeletesOldSegmentsAtOnce()
    {
        await using var broker = await TestBroker.StartAsync(b => b.WithTopic("aging", 1, new Dictionary<string, string> { ["segment.bytes"] = "1024" }));
        using var admin = KafkaClients.Admin(broker.BootstrapServers);
        using var producer = broker.Producer(c => c.LingerMs = 0);
        var hourAgo = new Timestamp(DateTime.UtcNow.AddHours(-1));
        for (var i = 0; i < 40; i++)
        {
            await producer.ProduceAsync("aging", new Message<string, string> { Key = $"k{i}", Value = new string('v', 200), Timestamp = hourAgo });
        }
        var log = broker.Broker.State.Logs.GetPartition("aging", 0)!;
        var segmentsBefore = log.SegmentCount;

        await admin.IncrementalAlterConfigsAsync(new Dictionary<ConfigResource, List<ConfigEntry>>
        {
            [Topic("aging")] = [new ConfigEntry { Name = "retention.ms", Value = "60000", IncrementalOperation = AlterConfigOpType.Set }],
        });
        var earliest = await admin.ListOffsetsAsync([new TopicPartitionOffsetSpec { TopicPartition = new TopicPartition("aging", 0), OffsetSpec = OffsetSpec.Earliest() }]);

        Assert.True(segmentsBefore > 5, $"only {segmentsBefore} segments were written");
        Assert.Equal(1, log.SegmentCount);
        Assert.Equal(log.LogStartOffset, earliest.ResultInfos.Single().TopicPartitionOffsetError.Offset.Value);
        Assert.True(log.LogStartOffset > 30, $"log start offset {log.LogStartOffset}");
    }

    [Fact]
    public async Task AnAlteredConfigSurvivesARestart()
    {
        await using (var broker = await EmbeddedBroker.CreateBuilder().WithDataDirectory(_dataDirectory).WithTopic("kept", 2).StartAsync())
        {
            using var admin = KafkaClients.Admin(broker.BootstrapServers);
            await admin.IncrementalAlterConfigsAsync(new Dictionary<ConfigResource, List<ConfigEntry>>
            {
                [Topic("kept")] =
                [
                    new ConfigEntry { Name = "retention.ms", Value = "7200000", IncrementalOperation = AlterConfigOpType.Set },
                    new ConfigEntry { Name = "message.timestamp.type", Value = "LogAppendTime", IncrementalOperation = AlterConfigOpType.Set },
                ],
            });
        }

        await using var restarted = await EmbeddedBroker.CreateBuilder().WithDataDirectory(_dataDirectory).StartAsync();
        using var restartedAdmin = KafkaClients.Admin(restarted.BootstrapServers);
        var described = await DescribeAsync(restartedAdmin, "kept");

        Assert.Equal("7200000", described["retention.ms"].Value);
        Assert.Equal(ConfigSource.DynamicTopicConfig, described["retention.ms"].Source);
        Assert.Equal("LogAppendTime", described["message.timestamp.type"].Value);
        Assert.True(restarted.State.Logs.GetPartition("kept", 1)!.Config.LogAppendTime);
    }

    public void Dispose() => Directory.Delete(_dataDirectory, recursive: true);

    private static ConfigResource Topic(string name) => new() { Type = ResourceType.Topic, Name = name };

    private static async Task<Dictionary<string, ConfigEntryResult>> DescribeAsync(IAdminClient admin, string topic) =>
        (await admin.DescribeConfigsAsync([Topic(topic)])).Single().Entries;

    private static async Task<IncrementalAlterConfigsReport> AlterFailureAsync(IAdminClient admin, ConfigResource resource, string name, string value)
    {
        var failure = await Assert.ThrowsAsync<IncrementalAlterConfigsException>(() => admin.IncrementalAlterConfigsAsync(
            new Dictionary<ConfigResource, List<ConfigEntry>> { [resource] = [new ConfigEntry { Name = name, Value = value, IncrementalOperation = AlterConfigOpType.Set }] }));
        return failure.Results.Single();
    }
}
