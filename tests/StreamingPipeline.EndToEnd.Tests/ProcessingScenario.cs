using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using StreamingPipeline.Events;
using StreamingPipeline.Events.Generation;
using StreamingPipeline.Testing;
using Xunit.Abstractions;

namespace StreamingPipeline.EndToEnd.Tests;

/// <summary>
/// A `pipeline broker` process, `pipeline forward` or `pipeline dedup` instances as child processes of one group, an
/// input producer writing while faults happen, and a read_committed reader following the output throughout; at the end
/// the output must equal the truth exactly, partition by partition (forward: the input; dedup: each valid event's first
/// occurrence, in input order), and so must what the concurrent reader saw; the DLQ must hold exactly the records that
/// do not parse (none for forward).
/// </summary>
internal sealed class ProcessingScenario : IAsyncDisposable
{
    public const string Input = "in";
    public const string Output = "out";
    public const string Dlq = "dlq";
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
    private readonly ScenarioJob _job;
    private List<ScenarioRecord> _plan = [];
    private long _produced;

    private ProcessingScenario(ITestOutputHelper testOutput, int partitions, int recordsPerPartition, ScenarioJob job)
    {
        _testOutput = testOutput;
        Partitions = partitions;
        RecordsPerPartition = recordsPerPartition;
        _job = job;
        Group = job == ScenarioJob.Forward ? "forward-e2e" : "dedup-e2e";
    }

    public int Partitions { get; }

    /// <summary>Input records per partition (forward: exactly; dedup: on average, as the generator's users fall).</summary>
    public int RecordsPerPartition { get; }

    /// <summary>The consumer group of the job's instances.</summary>
    public string Group { get; }

    /// <summary>Input records in all.</summary>
    public long TotalRecords => (long)Partitions * RecordsPerPartition;

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

    /// <summary>
    /// Starts the broker and creates the topics for <paramref name="job"/>: forward copies <c>p{partition}-{i}</c> strings;
    /// dedup reads a seeded generator stream (seed <paramref name="seed"/>) with re-sends and malformed records.
    /// </summary>
    public static async Task<ProcessingScenario> StartAsync(ITestOutputHelper testOutput, int partitions, int recordsPerPartition, ScenarioJob job = ScenarioJob.Forward, int seed = 1)
    {
        var scenario = new ProcessingScenario(testOutput, partitions, recordsPerPartition, job);
        scenario._plan = job == ScenarioJob.Forward ? ForwardPlan(partitions, recordsPerPartition) : DedupPlan(partitions, recordsPerPartition, seed);
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
        // Dedup on RocksDB keeps state per slot, so a restarted slot catches up from its checkpoint and a partition that
        // moved rebuilds from the output; on memory every task of every (re)start rebuilds from the output.
        var process = ChildProcess.StartPipeline(
            _job == ScenarioJob.Forward ? "forward" : "dedup", "-b", Bootstrap, "--input-topic", Input, "--output-topic", Output, "--dlq-topic", Dlq,
            "--group-id", Group, "--instance-id", slot, "--state", _job == ScenarioJob.Dedup ? "rocksdb" : "memory", "--state-dir", _directory.Combine("state", slot),
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

    /// <summary>
    /// Writes the input in small steps of <paramref name="recordsPerStep"/> records per partition (on average), so faults
    /// land while it writes; an idempotent producer keeps each partition's order through broker restarts.
    /// </summary>
    public void StartProducing(int recordsPerStep = 100, int stepMilliseconds = 40)
    {
        var plan = _plan;
        var step = recordsPerStep * Partitions;
        _producer = Task.Run(async () =>
        {
            var config = KafkaClients.ProducerConfig(Bootstrap);
            config.EnableIdempotence = true;
            config.MessageTimeoutMs = (int)Timeout.TotalMilliseconds;
            using var producer = new ProducerBuilder<byte[], byte[]>(config).SetLogHandler((_, _) => { }).Build();
            for (var from = 0; from < plan.Count; from += step)
            {
                foreach (var record in plan.Skip(from).Take(step))
                {
                    producer.Produce(
                        new TopicPartition(Input, record.Partition),
                        new Message<byte[], byte[]> { Key = record.Key, Value = record.Value, Timestamp = new Timestamp(record.Timestamp, TimestampType.CreateTime) });
                    Interlocked.Increment(ref _produced);
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
            var config = KafkaClients.ConsumerConfig(bootstrap, "readers-" + Guid.NewGuid().ToString("N"));
            config.IsolationLevel = IsolationLevel.ReadCommitted;
            using var consumer = new ConsumerBuilder<byte[], byte[]>(config).SetLogHandler((_, _) => { }).Build();
            consumer.Assign(Enumerable.Range(0, Partitions).Select(p => new TopicPartitionOffset(Output, p, Offset.Beginning)));
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is { } result)
                    {
                        _seen.Enqueue((result.Partition.Value, Text(result.Message.Value)));
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
            if (ProducerDone && CommittedTotal() >= TotalRecords)
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

    /// <summary>
    /// Asserts the output equals the truth computed from the committed input, per partition and in order, for a fresh
    /// read and for the concurrent reader, and the DLQ holds exactly the input records that do not parse (dedup) or
    /// nothing (forward). For dedup the truth is also checked against the generator's own account of its stream.
    /// </summary>
    public async Task AssertExactOutputAsync()
    {
        var input = KafkaClients.ReadAllBytes(Bootstrap, Input, Partitions, IsolationLevel.ReadCommitted, Timeout);
        var output = KafkaClients.ReadAllBytes(Bootstrap, Output, Partitions, IsolationLevel.ReadCommitted, Timeout);
        var dlq = KafkaClients.ReadAllBytes(Bootstrap, Dlq, 1, IsolationLevel.ReadCommitted, Timeout);
        await Eventually.TrueAsync(() => _seen.Count >= output.Count, "the concurrent reader has read the whole output", Timeout);
        Assert.Equal(_plan.Count, input.Count);
        var context = $"{History}";
        var expectedDlq = new List<string>();
        var expectedOutputs = 0;
        for (var p = 0; p < Partitions; p++)
        {
            var partition = p;
            var (expected, rejected) = Truth(input.Where(r => r.Partition.Value == partition).Select(r => r.Message.Value));
            expectedDlq.AddRange(rejected);
            expectedOutputs += expected.Count;
            var actual = output.Where(r => r.Partition.Value == partition).Select(r => Text(r.Message.Value)).ToList();
            var concurrent = _seen.Where(s => s.Partition == partition).Select(s => s.Value).ToList();
            Assert.True(expected.SequenceEqual(actual), $"output partition {p} differs from the truth: {Describe(expected, actual)}\n{context}");
            Assert.True(expected.SequenceEqual(concurrent), $"the concurrent reader saw something else on partition {p}: {Describe(expected, concurrent)}\n{context}");
        }
        var actualDlq = dlq.Select(r => Text(r.Message.Value)).Order(StringComparer.Ordinal).ToList();
        expectedDlq.Sort(StringComparer.Ordinal);
        Assert.True(expectedDlq.SequenceEqual(actualDlq), $"the DLQ differs from the malformed input: {Describe(expectedDlq, actualDlq)}\n{context}");
        // The generator's account: each event passes once, each malformed record is dead-lettered once.
        Assert.Equal(_plan.Count(r => r.Kind is RecordKind.Event), expectedOutputs);
        Assert.Equal(_plan.Count(r => r.Kind is RecordKind.Malformed), expectedDlq.Count);
    }

    /// <summary>What the job must write for one partition's input, in order, and what it must dead-letter.</summary>
    private (List<string> Output, List<string> DeadLetters) Truth(IEnumerable<byte[]> partitionInput)
    {
        var output = new List<string>();
        var deadLetters = new List<string>();
        var seen = new HashSet<(Guid, string)>();
        foreach (var value in partitionInput)
        {
            if (_job == ScenarioJob.Forward)
            {
                output.Add(Text(value));
                continue;
            }
            // The stream spans seconds of event time, far inside the 24 h window: every repeat is a duplicate.
            var parsed = UserEventParser.Parse(value);
            if (!parsed.IsValid)
            {
                deadLetters.Add(Text(value));
            }
            else if (seen.Add((parsed.Event.EventId, parsed.Event.UserId)))
            {
                output.Add(Text(value));
            }
        }
        return (output, deadLetters);
    }

    /// <summary><c>p{partition}-{i}</c>, key = value, written step by step across the partitions.</summary>
    private static List<ScenarioRecord> ForwardPlan(int partitions, int recordsPerPartition)
    {
        var plan = new List<ScenarioRecord>(partitions * recordsPerPartition);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        for (var i = 0; i < recordsPerPartition; i++)
        {
            for (var p = 0; p < partitions; p++)
            {
                var value = Encoding.UTF8.GetBytes(Value(p, i));
                plan.Add(new ScenarioRecord(p, value, value, now, RecordKind.Event));
            }
        }
        return plan;
    }

    /// <summary>A seeded generator stream: 15 % re-sends of earlier events, 2 % malformed records, a few hundred users.</summary>
    private static List<ScenarioRecord> DedupPlan(int partitions, int recordsPerPartition, int seed)
    {
        var generator = new EventStreamGenerator(
            new GeneratorOptions
            {
                Seed = seed,
                Users = 500,
                DuplicateShare = 0.15,
                MalformedShare = 0.02,
                MaxRecords = (long)partitions * recordsPerPartition,
                EventTimeStart = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
            },
            partitions);
        var plan = new List<ScenarioRecord>(partitions * recordsPerPartition);
        while (generator.TryNext(out var record))
        {
            plan.Add(new ScenarioRecord(record.Partition, record.Key, record.Value.ToArray(), record.Timestamp, record.Kind));
        }
        return plan;
    }

    /// <summary>Bytes as a string, one char per byte, so any value (malformed ones too) compares exactly.</summary>
    private static string Text(byte[]? value) => value is null ? "<null>" : Encoding.Latin1.GetString(value);

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

    /// <summary>One input record to write.</summary>
    private sealed record ScenarioRecord(int Partition, byte[] Key, byte[] Value, long Timestamp, RecordKind Kind);

    private static string Describe(List<string> expected, List<string> actual)
    {
        var duplicates = actual.GroupBy(v => v).Count(g => g.Count() > 1);
        var missing = expected.Except(actual).Count();
        var firstDifference = Enumerable.Range(0, Math.Min(expected.Count, actual.Count)).FirstOrDefault(i => expected[i] != actual[i], -1);
        return string.Create(CultureInfo.InvariantCulture, $"{actual.Count} records (expected {expected.Count}), {duplicates} duplicated, {missing} missing, first difference at {firstDifference}");
    }
}
