using Confluent.Kafka;

namespace StreamingPipeline.EndToEnd.Tests;

/// <summary>The broker process frozen with SIGSTOP, as a long pause or a stalled machine would freeze it, then let go.</summary>
public class BrokerPauseTests : IDisposable
{
    private readonly TempDirectory _dataDirectory = new("broker-pause-");

    [Fact]
    public async Task APausedBrokerAnswersNothingUntilResumedAndThenStoresWhatWasSentMeanwhile()
    {
        await using var broker = await BrokerProcess.StartAsync(_dataDirectory.Path, arguments: ["--partitions", "1"]);
        using var producer = KafkaClients.Producer(broker.BootstrapServers);
        await producer.ProduceAsync("paused", new Message<string, string> { Key = "k", Value = "before" });

        await broker.Process.PauseAsync();
        var during = producer.ProduceAsync("paused", new Message<string, string> { Key = "k", Value = "during" });
        using (var admin = KafkaClients.Admin(broker.BootstrapServers))
        {
            Assert.Throws<KafkaException>(() => admin.GetMetadata(TimeSpan.FromSeconds(1)));
        }
        Assert.False(during.IsCompleted);
        await broker.Process.ResumeAsync();
        var delivered = await during.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(1, delivered.Offset.Value);
        var stored = KafkaClients.ReadAll(broker.BootstrapServers, "paused", 1, IsolationLevel.ReadCommitted);
        Assert.Equal(["before", "during"], stored.Select(r => r.Message.Value));
    }

    public void Dispose() => _dataDirectory.Dispose();
}
