using Confluent.Kafka;

namespace StreamingPipeline.Broker.Tests.Integration;

public class TornTailRecoveryTests : IDisposable
{
    private readonly string _dataDirectory = Directory.CreateTempSubdirectory("broker-torn-").FullName;

    [Theory]
    [InlineData("garbage")]
    [InlineData("half-batch")]
    public async Task RecoveryTruncatesADamagedTailAndServesTheRest(string damage)
    {
        var values = Enumerable.Range(0, 50).Select(i => $"record-{i}").ToList();
        byte[] lastBatchCopy;
        await using (var broker = await EmbeddedBroker.CreateBuilder().WithDataDirectory(_dataDirectory).WithTopic("fragile").StartAsync())
        {
            using var producer = KafkaClients.Producer(broker.BootstrapServers, c => c.LingerMs = 0);
            foreach (var value in values)
            {
                await producer.ProduceAsync("fragile", new Message<string, string> { Key = "k", Value = value });
            }
        }
        var segment = Directory.GetFiles(_dataDirectory, "*.log", SearchOption.AllDirectories).Single(f => f.Contains("fragile-0", StringComparison.Ordinal));
        var bytes = await File.ReadAllBytesAsync(segment);
        // Each record went in its own batch; the last batch's bytes serve as a realistic half-written append.
        lastBatchCopy = bytes[^(bytes.Length / values.Count)..];
        var tail = damage == "garbage" ? new byte[] { 0, 0, 0, 0, 0, 0, 0, 50, 0, 0, 1, 0, 0xDE, 0xAD, 0xBE, 0xEF, 2, 1, 2, 3 } : lastBatchCopy[..(lastBatchCopy.Length / 2)];
        await using (var stream = new FileStream(segment, FileMode.Append))
        {
            await stream.WriteAsync(tail);
        }

        await using var restarted = await EmbeddedBroker.CreateBuilder().WithDataDirectory(_dataDirectory).StartAsync();
        Assert.Equal(bytes.Length, new FileInfo(segment).Length);
        using var consumer = KafkaClients.Consumer(restarted.BootstrapServers, "after-damage");
        consumer.Assign(new TopicPartitionOffset("fragile", 0, Offset.Beginning));
        var received = KafkaClients.ConsumeExactly(consumer, values.Count, TimeSpan.FromSeconds(30));
        using var producer2 = KafkaClients.Producer(restarted.BootstrapServers);
        var next = await producer2.ProduceAsync("fragile", new Message<string, string> { Key = "k", Value = "after" });

        Assert.Equal(values, received.Select(r => r.Message.Value));
        Assert.Equal(values.Count, next.Offset.Value);
    }

    public void Dispose() => Directory.Delete(_dataDirectory, recursive: true);
}
