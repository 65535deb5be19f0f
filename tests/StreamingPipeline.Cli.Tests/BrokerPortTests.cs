using Confluent.Kafka;

namespace StreamingPipeline.Cli.Tests;

/// <summary>Two brokers never share a port: the second refuses to start and the first keeps serving all its data.</summary>
public sealed class BrokerPortTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);
    private readonly string _root = Directory.CreateTempSubdirectory("broker-port-").FullName;

    [Fact]
    public async Task ASecondBrokerOnABusyPortFailsAndTheFirstKeepsAllItsData()
    {
        var port = LoopbackPort.Free();
        var bootstrap = $"127.0.0.1:{port}";
        await using var first = ChildProcess.StartPipeline("broker", "--data-dir", Path.Combine(_root, "first"), "--listen", bootstrap);
        await first.WaitForPortAsync(port, Timeout);
        using (var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = bootstrap, EnableIdempotence = true }).Build())
        {
            for (var i = 0; i < 100; i++)
            {
                await producer.ProduceAsync(new TopicPartition("kept", 0), new Message<Null, string> { Value = $"record {i}" });
            }
        }

        var second = await ChildProcess.RunPipelineAsync(Timeout, "broker", "--data-dir", Path.Combine(_root, "second"), "--listen", bootstrap);
        var secondUp = await ChildProcess.RunPipelineAsync(Timeout, "up", "--data-dir", Path.Combine(_root, "second-up"), "--listen", bootstrap, "--rate", "0");

        Assert.Equal(ExitCodes.Failure, second.ExitCode);
        Assert.Equal($"error: {bootstrap} is already in use (another broker or program listens there); stop it or pick another port.", second.Error.Trim());
        Assert.Equal(ExitCodes.Failure, secondUp.ExitCode);
        Assert.Contains($"{bootstrap} is already in use", secondUp.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_root, "second")), "the refused broker created its data directory");
        Assert.False(Directory.Exists(Path.Combine(_root, "second-up")), "the refused up created its data directory");
        Assert.False(first.HasExited);
        // Every new connection reaches the first broker: with two listeners on the port some would reach the empty one.
        for (var i = 0; i < 10; i++)
        {
            using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = bootstrap, GroupId = "port-check" }).Build();
            var offsets = consumer.QueryWatermarkOffsets(new TopicPartition("kept", 0), TimeSpan.FromSeconds(30));
            Assert.Equal(100, offsets.High.Value);
        }
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
