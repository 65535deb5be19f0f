using System.Text;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StreamingPipeline.Processing;

namespace StreamingPipeline.Processing.Tests;

/// <summary>An embedded broker over TCP with an input, output and DLQ topic, and the real clients the tests use on it.</summary>
internal sealed class TestCluster : IAsyncDisposable
{
    public const string Input = "in";
    public const string Output = "out";
    public const string Dlq = "dlq";
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private readonly TestBroker _broker;
    private readonly string _stateDirectory = Directory.CreateTempSubdirectory("processing-state-").FullName;

    private TestCluster(TestBroker broker) => _broker = broker;

    public string Bootstrap => _broker.BootstrapServers;

    public static async Task<TestCluster> StartAsync(int inputPartitions, int outputPartitions)
    {
        var broker = await TestBroker.StartAsync(b => b
            .WithOptions(o => o with { AutoCreateTopics = false })
            .WithTopic(Input, inputPartitions)
            .WithTopic(Output, outputPartitions)
            .WithTopic(Dlq, 1));
        return new TestCluster(broker);
    }

    public ProcessingOptions Options(string group, string? instance = null) => new()
    {
        BootstrapServers = Bootstrap,
        InputTopic = Input,
        OutputTopic = Output,
        DlqTopic = Dlq,
        GroupId = group,
        InstanceId = instance,
        StateDirectory = _stateDirectory,
        SessionTimeout = TimeSpan.FromSeconds(6),
    };

    public static StreamProcessor Processor(IStreamJob job, ProcessingOptions options, ILoggerFactory? loggers = null) =>
        new(job, options, loggers ?? NullLoggerFactory.Instance);

    /// <summary>Writes <c>p{partition}-{i}</c> records (key = value) to every input partition, idempotently.</summary>
    public void Produce(int partitions, int from, int count, Func<int, int, string>? value = null)
    {
        using var producer = KafkaClients.ByteProducer(Bootstrap);
        for (var p = 0; p < partitions; p++)
        {
            for (var i = from; i < from + count; i++)
            {
                var text = value?.Invoke(p, i) ?? Value(p, i);
                producer.Produce(new TopicPartition(Input, p), new Message<byte[], byte[]>
                {
                    Key = Encoding.UTF8.GetBytes(text),
                    Value = Encoding.UTF8.GetBytes(text),
                    Timestamp = new Timestamp(1_700_000_000_000 + i, TimestampType.CreateTime),
                    Headers = [new Header("h", Encoding.UTF8.GetBytes("x"))],
                });
            }
        }
        producer.Flush(Timeout);
    }

    public static string Value(int partition, int index) => $"p{partition}-{index:D6}";

    /// <summary>Everything committed in <paramref name="topic"/> (read_committed), once it holds at least <paramref name="atLeast"/> records.</summary>
    public List<ConsumeResult<byte[], byte[]>> ReadCommitted(string topic, int partitions, int atLeast)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = Bootstrap,
            GroupId = "reader-" + Guid.NewGuid().ToString("N"),
            IsolationLevel = IsolationLevel.ReadCommitted,
            EnableAutoCommit = false,
            EnablePartitionEof = true,
            FetchWaitMaxMs = 50,
        }).Build();
        consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var records = new List<ConsumeResult<byte[], byte[]>>();
        var deadline = DateTime.UtcNow + Timeout;
        var atEnd = new HashSet<int>();
        while (DateTime.UtcNow < deadline)
        {
            var result = consumer.Consume(TimeSpan.FromMilliseconds(100));
            if (result is null)
            {
                continue;
            }
            if (result.IsPartitionEOF)
            {
                atEnd.Add(result.Partition.Value);
                if (atEnd.Count == partitions && records.Count >= atLeast)
                {
                    break;
                }
                continue;
            }
            atEnd.Remove(result.Partition.Value);
            records.Add(result);
        }
        return records;
    }

    public static List<string> Values(IEnumerable<ConsumeResult<byte[], byte[]>> records, int partition) =>
        records.Where(r => r.Partition.Value == partition).Select(r => Encoding.UTF8.GetString(r.Message.Value)).ToList();

    public long[] CommittedOffsets(string group, int partitions) => KafkaClients.CommittedOffsets(Bootstrap, group, Input, partitions, Timeout);

    /// <summary>Waits until the group has committed <paramref name="expected"/> on every partition.</summary>
    public Task WaitForCommittedAsync(string group, int partitions, long expected) =>
        KafkaClients.WaitForCommittedAsync(Bootstrap, group, Input, Enumerable.Repeat(expected, partitions).ToArray(), Timeout);

    public async ValueTask DisposeAsync()
    {
        await _broker.DisposeAsync();
        Directory.Delete(_stateDirectory, recursive: true);
    }
}
