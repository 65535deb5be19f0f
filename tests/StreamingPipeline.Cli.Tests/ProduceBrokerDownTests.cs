using Confluent.Kafka;
using StreamingPipeline.Broker;

namespace StreamingPipeline.Cli.Tests;

/// <summary>A broker that goes away for good during <c>produce</c> stops the run early with exit 3 and an account of what happened.</summary>
public sealed class ProduceBrokerDownTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task ProduceStopsSoonAfterTheDeliveryTimeoutWhenTheBrokerStaysDown()
    {
        var broker = await EmbeddedBroker.CreateBuilder().WithTopic("events", 2).StartAsync();
        await using var produce = ChildProcess.StartPipeline(
            "produce", "-b", broker.BootstrapServers, "-t", "events", "--rate", "200", "--duration", "10m", "--delivery-timeout", "3s", "-q");
        await Eventually.TrueAsync(() => KafkaClients.EndOffsets(broker.BootstrapServers, "events", 2, Timeout).Sum() > 0, "the first records acknowledged", Timeout);

        await broker.DisposeAsync();
        var stoppedAt = DateTime.UtcNow;
        await produce.WaitForExitAsync(Timeout);

        Assert.Equal(ExitCodes.Failure, produce.ExitCode);
        Assert.True(DateTime.UtcNow - stoppedAt < TimeSpan.FromSeconds(90), "produce ran on although delivery had failed");
        Assert.Contains("not acknowledged", produce.Output, StringComparison.Ordinal);
        var errorLines = produce.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var error = Assert.Single(errorLines);
        Assert.StartsWith("error: ", error, StringComparison.Ordinal);
        Assert.Contains("not acknowledged within 3s", error, StringComparison.Ordinal);
    }
}
