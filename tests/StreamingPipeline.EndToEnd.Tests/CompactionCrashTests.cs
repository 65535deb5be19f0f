using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace StreamingPipeline.EndToEnd.Tests;

/// <summary>
/// The broker as a separate process, compacting a topic in the background with a small offset map (so passes follow
/// one another), killed with SIGKILL at random moments: after each restart the topic must still hold the latest
/// acknowledged value of every key, every record it serves must be one that was acknowledged at that offset (CRCs
/// checked by the client), and no half-cleaned segment may be left.
/// </summary>
public class CompactionCrashTests : IDisposable
{
    private const string Topic = "kv-store";
    private const int Keys = 4000;
    private readonly TempDirectory _dataDirectory = new("compaction-crash-");

    [Fact]
    public async Task SigkillsDuringCleaningLoseNothingAndNeverServeAHalfCleanedSegment()
    {
        var random = new Random(20261202);
        var acknowledged = new SortedDictionary<long, (string Key, string? Value)>();
        string[] arguments = ["--log-cleaner-backoff", "20ms", "--log-cleaner-buffer", "48KiB", "--log-cleaner-io-rate", "64MiB"];
        int? port = null;
        for (var round = 0; round < 4; round++)
        {
            await using (var broker = await BrokerProcess.StartAsync(_dataDirectory.Path, port, arguments))
            {
                port = broker.Port;
                if (round == 0)
                {
                    using var admin = KafkaClients.Admin(broker.BootstrapServers);
                    await admin.CreateTopicsAsync(
                    [
                        new TopicSpecification
                        {
                            Name = Topic,
                            NumPartitions = 1,
                            ReplicationFactor = 1,
                            Configs = new() { ["cleanup.policy"] = "compact", ["segment.bytes"] = "16384", ["min.cleanable.dirty.ratio"] = "0.01" },
                        },
                    ]);
                }
                else
                {
                    CheckServedTable(broker.BootstrapServers, acknowledged);
                }
                Produce(broker.BootstrapServers, acknowledged, random, round, records: 25_000);

                // The cleaner is busy with what was just written; kill it at some moment of that.
                await Task.Delay(random.Next(0, 400));
                await broker.KillAsync();
            }
        }

        await using var last = await BrokerProcess.StartAsync(_dataDirectory.Path, port, arguments);
        CheckServedTable(last.BootstrapServers, acknowledged);

        // The restarted cleaner finishes what the kills interrupted, and the table is still the same.
        await Eventually.TrueAsync(
            () => KafkaClients.ReadAll(last.BootstrapServers, Topic, 1, IsolationLevel.ReadUncommitted, TimeSpan.FromSeconds(90)).Count < acknowledged.Count / 4,
            "the topic compacted to under a quarter of the records written",
            TimeSpan.FromMinutes(3));
        CheckServedTable(last.BootstrapServers, acknowledged);
    }

    public void Dispose()
    {
        _dataDirectory.Dispose();
        GC.SuppressFinalize(this);
    }

    private static void Produce(string bootstrap, SortedDictionary<long, (string Key, string? Value)> acknowledged, Random random, int round, int records)
    {
        var delivered = new List<(long Offset, string Key, string? Value)>();
        using var producer = KafkaClients.Producer(bootstrap, c => c.BatchSize = 8192);
        for (var i = 0; i < records; i++)
        {
            var key = $"key-{random.Next(Keys):D5}";
            var value = random.Next(15) == 0 ? null : $"round-{round}-record-{i}";
            while (true)
            {
                try
                {
                    producer.Produce(Topic, new Message<string, string> { Key = key, Value = value! }, report =>
                    {
                        Assert.Equal(ErrorCode.NoError, report.Error.Code);
                        lock (delivered)
                        {
                            delivered.Add((report.Offset.Value, key, value));
                        }
                    });
                    break;
                }
                catch (ProduceException<string, string> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
                {
                    producer.Poll(TimeSpan.FromMilliseconds(50));
                }
            }
        }
        Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(60)));
        Assert.Equal(records, delivered.Count);
        foreach (var (offset, key, value) in delivered)
        {
            acknowledged.Add(offset, (key, value));
        }
    }

    /// <summary>Reads the whole topic and checks it against what was acknowledged.</summary>
    private static void CheckServedTable(string bootstrap, SortedDictionary<long, (string Key, string? Value)> acknowledged)
    {
        var records = KafkaClients.ReadAll(bootstrap, Topic, 1, IsolationLevel.ReadUncommitted, TimeSpan.FromSeconds(90));
        foreach (var record in records)
        {
            Assert.True(acknowledged.TryGetValue(record.Offset.Value, out var written), $"offset {record.Offset.Value} was never acknowledged");
            Assert.Equal(written, (record.Message.Key, (string?)record.Message.Value));
        }
        Assert.Equal(Table(acknowledged.Values), Table(records.Select(r => (r.Message.Key, (string?)r.Message.Value))));
    }

    private static Dictionary<string, string> Table(IEnumerable<(string Key, string? Value)> records)
    {
        var table = new Dictionary<string, string>();
        foreach (var (key, value) in records)
        {
            if (value is null)
            {
                table.Remove(key);
            }
            else
            {
                table[key] = value;
            }
        }
        return table;
    }
}
