using System.Diagnostics;
using Confluent.Kafka;

namespace StreamingPipeline.Cli.Tests;

/// <summary>The README's first command: the embedded pipeline starts, events flow, Ctrl+C stops it cleanly.</summary>
public class UpCommandTests : IDisposable
{
    private readonly string _dataDirectory = Directory.CreateTempSubdirectory("pipeline-up-").FullName;

    [Fact]
    public async Task UpStartsTheBrokerWithThePipelineTopicsFeedsTheGeneratorAndStopsOnSigint()
    {
        var port = PipelineProcess.FreePort();
        await using var up = PipelineProcess.Start("up", "--data-dir", _dataDirectory, "--broker-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--rate", "500");
        await up.WaitForPortAsync(port, TimeSpan.FromSeconds(60));

        using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig
        {
            BootstrapServers = $"127.0.0.1:{port}",
            GroupId = "up-check",
            AutoOffsetReset = AutoOffsetReset.Earliest,
        }).SetLogHandler((_, _) => { }).Build();
        consumer.Subscribe("input-user-events");
        ConsumeResult<string, string>? first = null;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (first is null && DateTime.UtcNow < deadline)
        {
            first = consumer.Consume(TimeSpan.FromMilliseconds(500));
        }
        var topics = consumer.Assignment.Select(tp => tp.Topic).Distinct().ToList();
        consumer.Close();

        using (var kill = Process.Start("kill", ["-INT", up.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill!.WaitForExitAsync();
        }
        await up.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.NotNull(first);
        Assert.Contains("\"eventId\"", first.Message.Value, StringComparison.Ordinal);
        Assert.Equal(["input-user-events"], topics);
        Assert.Equal(0, up.ExitCode);
        Assert.True(Directory.Exists(Path.Combine(_dataDirectory, "broker", "topics", "output-user-events-0")));
        Assert.True(Directory.Exists(Path.Combine(_dataDirectory, "broker", "topics", "user-events-dlq-0")));
    }

    public void Dispose() => Directory.Delete(_dataDirectory, recursive: true);
}
