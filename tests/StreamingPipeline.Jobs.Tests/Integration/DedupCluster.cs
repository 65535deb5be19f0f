using System.Text;
using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;
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

    private readonly TestBroker _broker;

    private DedupCluster(TestBroker broker, int partitions)
    {
        _broker = broker;
        Partitions = partitions;
    }

    public int Partitions { get; }

    public string StateRoot { get; } = Directory.CreateTempSubdirectory("dedup-job-state-").FullName;

    public string Bootstrap => _broker.BootstrapServers;

    public static async Task<DedupCluster> StartAsync(int partitions)
    {
        var broker = await TestBroker.StartAsync(b => b
            .WithOptions(o => o with { AutoCreateTopics = false })
            .WithTopic(Input, partitions)
            .WithTopic(Output, partitions)
            .WithTopic(Dlq, 1));
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
        var ends = KafkaClients.EndOffsets(Bootstrap, Input, Partitions, Timeout);
        using var stop = new CancellationTokenSource();
        var processor = new StreamProcessor(job, Options(group, stateDirectory), NullLoggerFactory.Instance);
        var run = processor.RunAsync(stop.Token);
        var caughtUp = KafkaClients.WaitForCommittedAsync(Bootstrap, group, Input, ends, Timeout);
        if (await Task.WhenAny(run, caughtUp) == run)
        {
            await run;
            throw new InvalidOperationException("the processor stopped on its own");
        }
        await caughtUp;
        await stop.CancelAsync();
        await run;
        return processor.Metrics;
    }

    /// <summary>Produces the records to the partitions the generator chose, idempotently, keeping key, value and timestamp.</summary>
    public void Produce(IEnumerable<(int Partition, byte[] Key, byte[] Value, long Timestamp)> records)
    {
        using var producer = KafkaClients.ByteProducer(Bootstrap);
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
        using var producer = new ProducerBuilder<byte[], byte[]>(KafkaClients.TransactionalProducerConfig(Bootstrap, "aborter-" + Guid.NewGuid().ToString("N"))).Build();
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

    public async ValueTask DisposeAsync()
    {
        await _broker.DisposeAsync();
        Directory.Delete(StateRoot, recursive: true);
    }
}
