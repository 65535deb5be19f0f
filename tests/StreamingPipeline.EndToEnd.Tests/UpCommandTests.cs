using System.Globalization;

namespace StreamingPipeline.EndToEnd.Tests;

/// <summary>The README's first command: the embedded pipeline starts, events flow, Ctrl+C stops it cleanly.</summary>
public class UpCommandTests : IDisposable
{
    private readonly TempDirectory _dataDirectory = new("pipeline-up-");

    [Fact]
    public async Task UpStartsTheBrokerWithThePipelineTopicsFeedsTheGeneratorAndStopsOnSigint()
    {
        var port = LoopbackPort.Free();
        await using var up = ChildProcess.StartPipeline("up", "--data-dir", _dataDirectory.Path, "--listen", $"127.0.0.1:{port}", "--rate", "500");
        await up.WaitForPortAsync(port, TimeSpan.FromSeconds(60));

        using var consumer = KafkaClients.Consumer($"127.0.0.1:{port}", "up-check");
        consumer.Subscribe("input-user-events");
        var first = KafkaClients.ConsumeExactly(consumer, 1, TimeSpan.FromSeconds(60)).SingleOrDefault();
        var topics = consumer.Assignment.Select(tp => tp.Topic).Distinct().ToList();
        consumer.Close();

        await up.InterruptAsync();
        var exitCode = await up.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.NotNull(first);
        Assert.Contains("\"eventId\"", first.Message.Value, StringComparison.Ordinal);
        Assert.Equal(["input-user-events"], topics);
        Assert.Equal(0, exitCode);
        Assert.True(Directory.Exists(_dataDirectory.Combine("broker", "topics", "output-user-events-0")));
        Assert.True(Directory.Exists(_dataDirectory.Combine("broker", "topics", "user-events-dlq-0")));
    }

    public void Dispose() => _dataDirectory.Dispose();
}
