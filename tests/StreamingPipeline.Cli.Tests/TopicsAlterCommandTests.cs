using Confluent.Kafka;
using StreamingPipeline.Broker;

namespace StreamingPipeline.Cli.Tests;

/// <summary><c>pipeline topics alter</c>, <c>add-partitions</c> and the config sources of <c>describe</c> against a real broker.</summary>
public sealed class TopicsAlterCommandTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task AlterSetsAndRemovesConfigsAndAddPartitionsGrowsTheTopic()
    {
        await using var broker = await EmbeddedBroker.CreateBuilder().WithTopic("orders", 1).StartAsync();
        var servers = broker.BootstrapServers;

        var altered = await ChildProcess.RunPipelineAsync(Timeout, "topics", "alter", "-b", servers, "-t", "orders", "--config", "retention.ms=3600000", "--config", "max.message.bytes=2000");
        var removed = await ChildProcess.RunPipelineAsync(Timeout, "topics", "alter", "-b", servers, "-t", "orders", "--delete-config", "max.message.bytes");
        var dryRun = await ChildProcess.RunPipelineAsync(Timeout, "topics", "add-partitions", "-b", servers, "-t", "orders", "-p", "3", "--dry-run");
        var countAfterDryRun = PartitionCount(servers, "orders");
        var grown = await ChildProcess.RunPipelineAsync(Timeout, "topics", "add-partitions", "-b", servers, "-t", "orders", "-p", "3");
        var described = await ChildProcess.RunPipelineAsync(Timeout, "topics", "describe", "-b", servers, "-t", "orders", "-o", "csv");
        var all = await ChildProcess.RunPipelineAsync(Timeout, "topics", "describe", "-b", servers, "-t", "orders", "-o", "csv", "--all-configs");

        Assert.Equal((0, "Changed the configs of topic orders."), (altered.ExitCode, altered.Output.Trim()));
        Assert.Equal(0, removed.ExitCode);
        Assert.Equal((0, "Topic orders can grow to 3 partitions."), (dryRun.ExitCode, dryRun.Output.Trim()));
        Assert.Equal(1, countAfterDryRun);
        Assert.Equal((0, "Topic orders now has 3 partitions."), (grown.ExitCode, grown.Output.Trim()));
        Assert.Equal(3, PartitionCount(servers, "orders"));
        Assert.Equal(0, described.ExitCode);
        var lines = described.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(3, lines.Count(l => l.StartsWith("orders,", StringComparison.Ordinal)));
        Assert.Contains("retention.ms,3600000,topic", lines);
        Assert.DoesNotContain(lines, l => l.StartsWith("max.message.bytes", StringComparison.Ordinal));
        Assert.Contains("max.message.bytes,1048588,default", all.Output.Split('\n', StringSplitOptions.TrimEntries));
    }

    private static int PartitionCount(string servers, string topic)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = servers, AllowAutoCreateTopics = false }).Build();
        return admin.GetMetadata(TimeSpan.FromSeconds(30)).Topics.Single(t => t.Topic == topic).Partitions.Count;
    }
}
