using System.Text;
using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;
using StreamingPipeline.Broker;
using StreamingPipeline.Events;
using StreamingPipeline.Events.Generation;
using StreamingPipeline.Jobs.Dedup;
using StreamingPipeline.Processing;
using StreamingPipeline.Processing.State;

namespace StreamingPipeline.Jobs.Tests.Integration;

/// <summary>An embedded broker over TCP with input, output and DLQ topics; runs the dedup job on it with the real clients.</summary>
internal sealed class DedupCluster : IAsyncDisposable
{
    public const string Input = "in";
    public const string Output = "out";
    public const string Dlq = "dlq";
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    private readonly EmbeddedBroker _broker;

    private DedupCluster(EmbeddedBroker broker, int partitions)
    {
        _broker = broker;
        Partitions = partitions;
    }

    public int Partitions { get; }

    public string StateRoot { get; } = Directory.CreateTempSubdirectory("dedup-job-state-").FullName;

    public string Bootstrap => _broker.BootstrapServers;

    public static async Task<DedupCluster> StartAsync(int partitions)
    {
        var broker = await EmbeddedBroker.CreateBuilder()
            .WithOptions(o => o with { AutoCreateTopics = false })
            .WithTopic(Input, partitions)
            .WithTopic(Output, partitions)
            .WithTopic(Dlq, 1)
            .StartAsync();
        return new DedupCluster(broker, partitions);
    }

    public ProcessingOptions Options(string group, string stateDirectory) => new()
    {
        BootstrapServers = Bootstrap,
        InputTopic = Input,
        OutputTopic = Output,
        DlqTopic = Dlq,
        GroupId = group,
        StateDirectory = stateDirectory,
        SessionTimeout = TimeSpan.FromSeconds(6),
    };

    /// <summary>Runs the dedup job until the group has committed everything now in the input, then stops it.</summary>
    public Task<ProcessingMetrics> RunUntilCaughtUpAsync(string group, string stateDirectory, StateBackend backend, DedupWindow window) =>
        RunUntilCaughtUpAsync(group, stateDirectory, new DedupJob(window, backend));

    /// <summary>Runs <paramref name="job"/> until the group has committed everything now in the input, then stops it.</summary>
    public async Task<ProcessingMetrics> RunUntilCaughtUpAsync(string group, string stateDirectory, IStreamJob job)
    {
        var ends = InputEnds();
        using var stop = new CancellationTokenSource();
        var processor = new StreamProcessor(job, Options(group, stateDirectory), NullLoggerFactory.Instance);
        var run = processor.RunAsync(stop.Token);
        var deadline = DateTime.UtcNow + Timeout;
        while (true)
        {
            if (run.IsCompleted)
            {
                await run;
                throw new InvalidOperationException("the processor stopped on its own");
            }
            var committed = CommittedOffsets(group);
            if (committed.Zip(ends).All(p => p.First >= p.Second))
            {
                break;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"group {group} committed {string.Join(",", committed)}; input ends {string.Join(",", ends)}");
            }
            await Task.Delay(50);
        }
        await stop.CancelAsync();
        await run;
        return processor.Metrics;
    }

    /// <summary>Produces the records to the partitions the generator chose, idempotently, keeping key, value and timestamp.</summary>
    public void Produce(IEnumerable<(int Partition, byte[] Key, byte[] Value, long Timestamp)> records)
    {
        using var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = Bootstrap, EnableIdempotence = true, LingerMs = 5 }).Build();
        foreach (var (partition, key, value, timestamp) in records)
        {
            producer.Produce(new TopicPartition(Input, partition), new Message<byte[], byte[]>
            {
                Key = key,
                Value = value,
                Timestamp = new Timestamp(timestamp, TimestampType.CreateTime),
            });
        }
        producer.Flush(Timeout);
    }

    /// <summary>Produces the records in one transaction and aborts it.</summary>
    public void ProduceAborted(IEnumerable<(int Partition, byte[] Key, byte[] Value, long Timestamp)> records)
    {
        using var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig
        {
            BootstrapServers = Bootstrap,
            TransactionalId = "aborter-" + Guid.NewGuid().ToString("N"),
        }).Build();
        producer.InitTransactions(Timeout);
        producer.BeginTransaction();
        foreach (var (partition, key, value, timestamp) in records)
        {
            producer.Produce(new TopicPartition(Input, partition), new Message<byte[], byte[]>
            {
                Key = key,
                Value = value,
                Timestamp = new Timestamp(timestamp, TimestampType.CreateTime),
            });
        }
        producer.Flush(Timeout);
        producer.AbortTransaction(Timeout);
    }

    /// <summary>Everything committed in <paramref name="topic"/> (read_committed), up to each partition's end now.</summary>
    public List<ConsumeResult<byte[], byte[]>> ReadCommitted(string topic, int partitions) =>
        KafkaClients.ReadAllBytes(Bootstrap, topic, partitions, IsolationLevel.ReadCommitted, Timeout);

    public string StateDirectoryOf(string stateDirectory, string group, int partition) =>
        Path.Combine(stateDirectory, group, partition.ToString(System.Globalization.CultureInfo.InvariantCulture));

    private long[] InputEnds()
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = Bootstrap, GroupId = "ends", IsolationLevel = IsolationLevel.ReadCommitted }).Build();
        return Enumerable.Range(0, Partitions)
            .Select(p => consumer.QueryWatermarkOffsets(new TopicPartition(Input, p), Timeout).High.Value)
            .ToArray();
    }

    private long[] CommittedOffsets(string group) => KafkaClients.CommittedOffsets(Bootstrap, group, Input, Partitions, Timeout);

    public async ValueTask DisposeAsync()
    {
        await _broker.DisposeAsync();
        Directory.Delete(StateRoot, recursive: true);
    }
}
