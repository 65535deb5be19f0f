using System.Collections.Concurrent;
using Confluent.Kafka;

namespace StreamingPipeline.Broker.Tests.Integration;

public class ConsumerGroupTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly string _dataDirectory = Directory.CreateTempSubdirectory("broker-groups-").FullName;

    [Fact]
    public async Task AGroupOfThreeRebalancesAsMembersJoinAndLeave()
    {
        await using var broker = await EmbeddedBroker.CreateBuilder().WithTopic("shared", partitions: 6).StartAsync();
        var assignments = new ConcurrentDictionary<string, List<TopicPartition>>();
        var members = new List<IConsumer<string, string>>();
        var pollers = new List<(CancellationTokenSource Stop, Task Loop)>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                var name = $"member-{i}";
                var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig
                {
                    BootstrapServers = broker.BootstrapServers,
                    GroupId = "three",
                    SessionTimeoutMs = 6000,
                    HeartbeatIntervalMs = 300,
                    AutoOffsetReset = AutoOffsetReset.Earliest,
                    PartitionAssignmentStrategy = PartitionAssignmentStrategy.Range,
                })
                    .SetLogHandler((_, _) => { })
                    .SetPartitionsAssignedHandler((_, partitions) => assignments[name] = partitions)
                    .SetPartitionsRevokedHandler((_, _) => assignments[name] = [])
                    .Build();
                consumer.Subscribe("shared");
                members.Add(consumer);
                pollers.Add(Poll(consumer));
                var expectedMembers = i + 1;
                await Eventually.TrueAsync(
                    () => assignments.Count == expectedMembers && IsBalanced(assignments.Values, expectedMembers),
                    $"{expectedMembers} members sharing 6 partitions",
                    Timeout);
            }
            Assert.All(assignments.Values, a => Assert.Equal(2, a.Count));

            // One member leaves cleanly: the other two take over its partitions.
            await pollers[0].Stop.CancelAsync();
            await pollers[0].Loop;
            members[0].Close();
            assignments.TryRemove("member-0", out _);
            await Eventually.TrueAsync(() => IsBalanced(assignments.Values, 2), "two members sharing 6 partitions", Timeout);
            Assert.All(assignments.Values, a => Assert.Equal(3, a.Count));
        }
        finally
        {
            foreach (var (stop, loop) in pollers)
            {
                await stop.CancelAsync();
                await loop;
            }
            foreach (var member in members)
            {
                member.Dispose();
            }
        }
    }

    [Fact]
    public async Task CommittedOffsetsSurviveABrokerRestartAndConsumersResumeFromThem()
    {
        var values = Enumerable.Range(0, 100).Select(i => $"v{i:D3}").ToList();
        await using (var broker = await EmbeddedBroker.CreateBuilder().WithDataDirectory(_dataDirectory).WithTopic("resume", partitions: 1).StartAsync())
        {
            using var producer = KafkaClients.Producer(broker.BootstrapServers);
            foreach (var value in values)
            {
                producer.Produce("resume", new Message<string, string> { Key = "k", Value = value });
            }
            producer.Flush(Timeout);
            using var consumer = KafkaClients.Consumer(broker.BootstrapServers, "resumers");
            consumer.Subscribe("resume");
            var firstHalf = KafkaClients.ConsumeExactly(consumer, 40, Timeout);
            Assert.Equal(40, firstHalf.Count);
            consumer.Commit(firstHalf[^1]);
            consumer.Close();
        }

        await using var restarted = await EmbeddedBroker.CreateBuilder().WithDataDirectory(_dataDirectory).StartAsync();
        using var resumed = KafkaClients.Consumer(restarted.BootstrapServers, "resumers");
        resumed.Subscribe("resume");
        var rest = KafkaClients.ConsumeExactly(resumed, 60, Timeout);
        var committed = resumed.Committed([new TopicPartition("resume", 0)], Timeout);

        Assert.Equal(40, committed.Single().Offset.Value);
        Assert.Equal(values.Skip(40), rest.Select(r => r.Message.Value));
    }

    private static bool IsBalanced(ICollection<List<TopicPartition>> assignments, int members) =>
        assignments.Count == members
        && assignments.Sum(a => a.Count) == 6
        && assignments.SelectMany(a => a).Select(tp => tp.Partition.Value).Distinct().Count() == 6;

    private static (CancellationTokenSource, Task) Poll(IConsumer<string, string> consumer)
    {
        var stop = new CancellationTokenSource();
        var loop = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                consumer.Consume(TimeSpan.FromMilliseconds(100));
            }
        });
        return (stop, loop);
    }

    public void Dispose() => Directory.Delete(_dataDirectory, recursive: true);
}
