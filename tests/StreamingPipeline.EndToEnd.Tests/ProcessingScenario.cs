using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using StreamingPipeline.Testing;
using Xunit.Abstractions;

namespace StreamingPipeline.EndToEnd.Tests;

/// <summary>
/// A `pipeline broker` process, `pipeline forward` instances as child processes of one group, an input producer writing
/// while faults happen, and a read_committed reader following the output throughout; at the end the output must equal
/// the input exactly, partition by partition, and so must what the concurrent reader saw.
/// </summary>
internal sealed class ProcessingScenario : IAsyncDisposable
{
    public const string Input = "in";
    public const string Output = "out";
    public const string Dlq = "dlq";
    public const string Group = "forward-e2e";
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    private readonly TempDirectory _directory = new("processing-e2e-");
    private readonly ITestOutputHelper _testOutput;
    private readonly StringBuilder _history = new();
    private readonly Dictionary<string, ChildProcess> _instances = [];
    private readonly List<ChildProcess> _finished = [];
    private readonly CancellationTokenSource _stop = new();
    private Task? _producer;
    private Thread? _reader;
    private readonly ConcurrentQueue<(int Partition, string Value)> _seen = new();
    private long _produced;

    private ProcessingScenario(ITestOutputHelper testOutput, int partitions, int recordsPerPartition)
    {
        _testOutput = testOutput;
        Partitions = partitions;
        RecordsPerPartition = recordsPerPartition;
    }

    public int Partitions { get; }

    public int RecordsPerPartition { get; }

    public BrokerProcess Broker { get; private set; } = null!;

    public string Bootstrap => Broker.BootstrapServers;

    public string History
    {
        get
        {
            lock (_history)
            {
                return _history.ToString();
            }
        }
    }

    public bool ProducerDone => _producer?.IsCompleted == true;

    public static async Task<ProcessingScenario> StartAsync(ITestOutputHelper testOutput, int partitions, int recordsPerPartition)
    {
        var scenario = new ProcessingScenario(testOutput, partitions, recordsPerPartition);
        scenario.Broker = await BrokerProcess.StartAsync(scenario._directory.Combine("broker"));
        using var admin = KafkaClients.Admin(scenario.Bootstrap);
        await admin.CreateTopicsAsync(
        [
            new TopicSpecification { Name = Input, NumPartitions = partitions, ReplicationFactor = 1 },
            new TopicSpecification { Name = Output, NumPartitions = partitions, ReplicationFactor = 1 },
            new TopicSpecification { Name = Dlq, NumPartitions = 1, ReplicationFactor = 1 },
        ]);
        return scenario;
    }

    /// <summary>Starts (or restarts) the instance called <paramref name="slot"/>; its transactional id stays the same.</summary>
    public ChildProcess StartInstance(string slot)
    {
        if (_instances.Remove(slot, out var previous))
        {
            _finished.Add(previous);
        }
        var process = ChildProcess.StartPipeline(
            "forward", "-b", Bootstrap, "--input-topic", Input, "--output-topic", Output, "--dlq-topic", Dlq,
            "--group-id", Group, "--instance-id", slot, "--state", "memory", "--state-dir", _directory.Combine("state", slot),
            "--commit-interval", "100ms", "--session-timeout", "6s", "--transaction-timeout", "10s", "--stats-interval", "1s");
        _instances[slot] = process;
        return process;
    }

    public ChildProcess Instance(string slot) => _instances[slot];

    public async Task KillInstanceAsync(string slot, bool restart)
    {
        await _instances[slot].KillAsync();
        if (restart)
        {
            StartInstance(slot);
        }
        else
        {
            _finished.Add(_instances[slot]);
            _instances.Remove(slot);
        }
    }

    public async Task RestartBrokerAsync()
    {
        var port = Broker.Port;
        await Broker.KillAsync();
        await Broker.DisposeAsync();
        Broker = await BrokerProcess.StartAsync(_directory.Combine("broker"), port);
    }

    /// <summary>Writes <c>p{partition}-{i}</c> to every input partition in small steps, so faults land while it writes.</summary>
    public void StartProducing(int recordsPerStep = 100, int stepMilliseconds = 40)
    {
        _producer = Task.Run(async () =>
        {
            using var producer = KafkaClients.Producer(Bootstrap, c =>
            {
                c.EnableIdempotence = true;
                c.MessageTimeoutMs = (int)Timeout.TotalMilliseconds;
            });
            for (var from = 0; from < RecordsPerPartition; from += recordsPerStep)
            {
                for (var p = 0; p < Partitions; p++)
                {
                    for (var i = from; i < Math.Min(RecordsPerPartition, from + recordsPerStep); i++)
                    {
                        var value = Value(p, i);
                        producer.Produce(new TopicPartition(Input, p), new Message<string, string> { Key = value, Value = value });
                        Interlocked.Increment(ref _produced);
                    }
                }
                await Task.Delay(stepMilliseconds);
            }
            producer.Flush(Timeout);
        });
    }

    /// <summary>Follows the output with read_committed on its own thread until disposed, through broker restarts.</summary>
    public void StartConcurrentReader()
    {
        var bootstrap = Bootstrap;
        _reader = new Thread(() =>
        {
            using var consumer = KafkaClients.Reader(bootstrap, IsolationLevel.ReadCommitted, c => c.EnablePartitionEof = false);
            consumer.Assign(Enumerable.Range(0, Partitions).Select(p => new TopicPartitionOffset(Output, p, Offset.Beginning)));
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is { } result)
                    {
                        _seen.Enqueue((result.Partition.Value, result.Message.Value));
                    }
                }
                catch (ConsumeException)
                {
                    // The broker is restarting; the client reconnects on its own.
                }
            }
        })
        { IsBackground = true };
        _reader.Start();
    }

    public static string Value(int partition, int index) => $"p{partition}-{index:D6}";

    /// <summary>Input records committed by the group so far (sum over partitions), or -1 while the broker does not answer.</summary>
    public long CommittedTotal()
    {
        try
        {
            return CommittedOffsets().Sum();
        }
        catch (KafkaException)
        {
            return -1;
        }
    }

    public long[] CommittedOffsets() =>
        KafkaClients.CommittedOffsets(Bootstrap, Group, Input, Partitions, TimeSpan.FromSeconds(10)).Select(o => Math.Max(0, o)).ToArray();

    /// <summary>Restarts any instance that exited (a supervisor's job), until the group has committed the whole input.</summary>
    public async Task WaitForCatchUpAsync()
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (true)
        {
            RestartExited();
            if (ProducerDone && CommittedTotal() >= (long)Partitions * RecordsPerPartition)
            {
                return;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The group did not commit the whole input; committed {string.Join(",", CommittedOffsets())}, produced {Interlocked.Read(ref _produced)}.\n{History}\n{Transcripts()}");
            }
            await Task.Delay(200);
        }
    }

    public void RestartExited()
    {
        foreach (var (slot, process) in _instances.ToList())
        {
            if (process.HasExited)
            {
                Log($"instance {slot} had exited with {process.ExitCode}; restarting it");
                StartInstance(slot);
            }
        }
    }

    /// <summary>Asserts output == input per partition, in order, for a fresh read and for the concurrent reader.</summary>
    public async Task AssertOutputEqualsInputAsync()
    {
        var input = KafkaClients.ReadAll(Bootstrap, Input, Partitions, IsolationLevel.ReadCommitted, Timeout);
        var output = KafkaClients.ReadAll(Bootstrap, Output, Partitions, IsolationLevel.ReadCommitted, Timeout);
        await Eventually.TrueAsync(() => _seen.Count >= output.Count, "the concurrent reader has read the whole output", Timeout);
        var context = $"{History}";
        for (var p = 0; p < Partitions; p++)
        {
            var partition = p;
            var expected = input.Where(r => r.Partition.Value == partition).Select(r => r.Message.Value).ToList();
            var actual = output.Where(r => r.Partition.Value == partition).Select(r => r.Message.Value).ToList();
            var concurrent = _seen.Where(s => s.Partition == partition).Select(s => s.Value).ToList();
            Assert.Equal(RecordsPerPartition, expected.Distinct().Count());
            Assert.True(expected.SequenceEqual(actual), $"output partition {p} differs from its input: {Describe(expected, actual)}\n{context}");
            Assert.True(expected.SequenceEqual(concurrent), $"the concurrent reader saw something else on partition {p}: {Describe(expected, concurrent)}\n{context}");
        }
    }

    public void Log(string line)
    {
        var stamped = $"{DateTime.UtcNow:HH:mm:ss.fff} {line}";
        lock (_history)
        {
            _history.AppendLine(stamped);
        }
        _testOutput.WriteLine(stamped);
    }

    public string Transcripts() => string.Join("\n", _instances.Values.Concat(_finished).Select(p => p.Transcript)) + "\n" + Broker.Process.Transcript;

    public async ValueTask DisposeAsync()
    {
        // xunit shows a test's output when it fails: the processes' own account of what happened.
        _testOutput.WriteLine(Transcripts());
        await _stop.CancelAsync();
        _reader?.Join();
        if (_producer is not null)
        {
            try
            {
                await _producer;
            }
            catch (KafkaException)
            {
                // The test has already failed if the producer did.
            }
        }
        foreach (var process in _instances.Values.Concat(_finished))
        {
            await process.DisposeAsync();
        }
        await Broker.DisposeAsync();
        _stop.Dispose();
        _directory.Dispose();
    }

    private static string Describe(List<string> expected, List<string> actual)
    {
        var duplicates = actual.GroupBy(v => v).Count(g => g.Count() > 1);
        var missing = expected.Except(actual).Count();
        var firstDifference = Enumerable.Range(0, Math.Min(expected.Count, actual.Count)).FirstOrDefault(i => expected[i] != actual[i], -1);
        return string.Create(CultureInfo.InvariantCulture, $"{actual.Count} records (expected {expected.Count}), {duplicates} duplicated, {missing} missing, first difference at {firstDifference}");
    }
}
