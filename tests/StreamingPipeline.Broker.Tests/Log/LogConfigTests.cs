using StreamingPipeline.Broker.Log;

namespace StreamingPipeline.Broker.Tests.Log;

public sealed class LogConfigTests
{
    [Fact]
    public void DefaultsAreKafkas()
    {
        var config = new LogConfig();

        Assert.Equal(1L << 30, config.SegmentBytes);
        Assert.Equal(4096, config.IndexIntervalBytes);
        Assert.Equal(7L * 24 * 3600 * 1000, config.RetentionMs);
        Assert.Equal(-1, config.RetentionBytes);
        Assert.Equal(1048588, config.MaxMessageBytes);
        Assert.Equal(long.MaxValue, config.FlushMessages);
        Assert.Equal(long.MaxValue, config.FlushMs);
        Assert.False(config.LogAppendTime);
        Assert.Equal("delete", config.CleanupPolicy);
    }

    [Fact]
    public void OverridesApplyOnTopOfTheDefaults()
    {
        var defaults = new LogConfig { RetentionMs = 1234 };
        var overrides = new Dictionary<string, string>
        {
            ["segment.bytes"] = "1048576",
            ["retention.bytes"] = " 5000 ",
            ["message.timestamp.type"] = "LogAppendTime",
            ["flush.messages"] = "1",
            ["min.insync.replicas"] = "1",
        };

        Assert.True(LogConfig.TryApply(defaults, overrides, out var config, out var error), error);

        Assert.Equal(1048576, config.SegmentBytes);
        Assert.Equal(5000, config.RetentionBytes);
        Assert.True(config.LogAppendTime);
        Assert.Equal(1, config.FlushMessages);
        Assert.Equal(1234, config.RetentionMs);
    }

    [Theory]
    [InlineData("no.such.config", "1", "Unknown topic config name")]
    [InlineData("segment.bytes", "big", "not a number")]
    [InlineData("segment.bytes", "10", "between")]
    [InlineData("segment.bytes", "4294967296", "between")]
    [InlineData("retention.ms", "-2", "between")]
    [InlineData("flush.messages", "0", "between")]
    [InlineData("message.timestamp.type", "logappendtime", "CreateTime or LogAppendTime")]
    [InlineData("cleanup.policy", "compact,shrink", "delete, compact or compact,delete")]
    [InlineData("min.cleanable.dirty.ratio", "1.5", "between 0 and 1")]
    [InlineData("compression.type", "lz4", "only producer")]
    [InlineData("unclean.leader.election.enable", "maybe", "true or false")]
    public void BadOverridesAreRefusedWithAReason(string name, string value, string reason)
    {
        var ok = LogConfig.TryApply(new LogConfig(), new Dictionary<string, string> { [name] = value }, out var config, out var error);

        Assert.False(ok);
        Assert.Contains(reason, error, StringComparison.Ordinal);
        Assert.Equal(new LogConfig(), config);
    }

    [Fact]
    public void DescribeListsEverySettingAndMarksOverrides()
    {
        var overrides = new Dictionary<string, string> { ["retention.ms"] = "60000" };
        Assert.True(LogConfig.TryApply(new LogConfig(), overrides, out var config, out _));

        var entries = config.Describe(overrides);

        Assert.Equal(LogConfig.Names, entries.Select(e => e.Name));
        Assert.Contains(("retention.ms", "60000", false), entries);
        Assert.Contains(("segment.bytes", "1073741824", true), entries);
        Assert.Contains(("message.timestamp.type", "CreateTime", true), entries);
        Assert.Contains(("cleanup.policy", "delete", true), entries);
    }
}
