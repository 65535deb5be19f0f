using Confluent.Kafka;
using StreamingPipeline.Broker;

namespace StreamingPipeline.Cli.Tests;

/// <summary>Looking at a topic that does not exist never creates it, even on a broker that auto-creates topics.</summary>
public sealed class MissingTopicTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task DescribeAndListOfAMissingTopicLeaveItMissing()
    {
        await using var broker = await EmbeddedBroker.CreateBuilder().WithOptions(o => o with { AutoCreateTopics = true }).StartAsync();

        var described = await ChildProcess.RunPipelineAsync(Timeout, "topics", "describe", "-b", broker.BootstrapServers, "-t", "typo-topic");
        var listed = await ChildProcess.RunPipelineAsync(Timeout, "topics", "list", "-b", broker.BootstrapServers, "-o", "csv");
        var describedAgain = await ChildProcess.RunPipelineAsync(Timeout, "topics", "describe", "-b", broker.BootstrapServers, "-t", "typo-topic");

        Assert.Equal(ExitCodes.Failure, described.ExitCode);
        Assert.Equal("error: topic typo-topic does not exist (pipeline topics list shows the topics there are).", described.Error.Trim());
        Assert.Equal(ExitCodes.Ok, listed.ExitCode);
        Assert.DoesNotContain("typo-topic", listed.Output, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Failure, describedAgain.ExitCode);
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.BootstrapServers, AllowAutoCreateTopics = false }).Build();
        Assert.DoesNotContain(admin.GetMetadata(TimeSpan.FromSeconds(30)).Topics, t => t.Topic == "typo-topic");
    }
}
