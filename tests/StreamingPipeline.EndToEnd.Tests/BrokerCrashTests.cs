using System.Collections.Concurrent;
using Confluent.Kafka;

namespace StreamingPipeline.EndToEnd.Tests;

/// <summary>The broker as a separate process, killed with SIGKILL: what it acknowledged must survive.</summary>
public class BrokerCrashTests : IDisposable
{
    private readonly TempDirectory _dataDirectory = new("broker-crash-");

    [Fact]
    public async Task EveryAcknowledgedRecordSurvivesASigkillMidStreamExactlyOnceAndInOrder()
    {
        var acknowledged = new ConcurrentDictionary<string, (int Partition, long Offset)>();
        int port;

        await using (var broker = await BrokerProcess.StartAsync(_dataDirectory.Path, arguments: ["--partitions", "4"]))
        {
            port = broker.Port;
            using var producer = KafkaClients.Producer(broker.BootstrapServers, config =>
            {
                config.LingerMs = 2;
                config.MessageTimeoutMs = 5000;
                // No retries: a record the broker stored but did not acknowledge may then be missing, never doubled.
                config.MessageSendMaxRetries = 0;
                config.EnableIdempotence = false;
            });
            var killAfter = 20_000;
            var deadline = DateTime.UtcNow.AddSeconds(90);
            for (var i = 0; i < 200_000 && acknowledged.Count < killAfter; i++)
            {
                var value = $"record-{i:D7}";
                try
                {
                    producer.Produce("crash-test", new Message<string, string> { Key = $"k{i % 64}", Value = value }, report =>
                    {
                        if (report.Error.Code == ErrorCode.NoError)
                        {
                            acknowledged[value] = (report.Partition.Value, report.Offset.Value);
                        }
                    });
                }
                catch (ProduceException<string, string> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull && DateTime.UtcNow < deadline)
                {
                    // The client's queue is full until the broker (still creating the topic, or slow under load)
                    // acknowledges: wait for reports and send this record again.
                    producer.Poll(TimeSpan.FromMilliseconds(100));
                    i--;
                    continue;
                }
                if (i % 1000 == 999)
                {
                    producer.Poll(TimeSpan.Zero);
                }
            }
            // Kill while the producer still has records in flight.
            await broker.KillAsync();
            producer.Flush(TimeSpan.FromSeconds(10));
        }
        Assert.True(acknowledged.Count >= 20_000, $"only {acknowledged.Count} records were acknowledged before the kill");

        await using var restarted = await BrokerProcess.StartAsync(_dataDirectory.Path, port, "--partitions", "4");
        var stored = KafkaClients.ReadAll(restarted.BootstrapServers, "crash-test", 4, IsolationLevel.ReadCommitted, TimeSpan.FromSeconds(90));
        var seen = new Dictionary<string, (int Partition, long Offset)>();
        var duplicates = stored.Count(result => !seen.TryAdd(result.Message.Value, (result.Partition.Value, result.Offset.Value)));

        Assert.Equal(0, duplicates);
        var missing = acknowledged.Keys.Where(k => !seen.ContainsKey(k)).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} acknowledged records lost, e.g. {string.Join(", ", missing.Take(5))}");
        foreach (var (value, position) in acknowledged)
        {
            Assert.Equal(position, seen[value]);
        }
        // Within a partition, offsets follow the order the records were sent.
        foreach (var partition in seen.GroupBy(s => s.Value.Partition))
        {
            var bySendOrder = partition.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => s.Value.Offset).ToList();
            Assert.Equal(bySendOrder.Order(), bySendOrder);
        }
    }

    public void Dispose() => _dataDirectory.Dispose();
}
