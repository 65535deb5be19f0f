using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Xunit.Abstractions;

namespace StreamingPipeline.EndToEnd.Tests;

/// <summary>
/// Kafka's transactional-copy system test, on this broker: one copier process per input partition turns each commit
/// interval into a transaction (records + consumed offsets); copiers are SIGKILLed at random moments, in some rounds
/// together with the broker process. A second read_committed reader follows the output while the faults happen.
/// At the end the output holds exactly the input, in order per partition, and the group's offsets are at the end.
/// </summary>
public class TransactionalCopyCrashTests(ITestOutputHelper testOutput) : IDisposable
{
    private const int Partitions = 2;
    private const int RecordsPerPartition = 3000;
    private const int FaultRounds = 6;
    private const string Input = "copy-input";
    private const string Output = "copy-output";
    private const string Group = "copy-group";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private const string CopierAssembly = "StreamingPipeline.TransactionalCopier.dll";

    private readonly TempDirectory _dataDirectory = new("txn-copy-crash-");
    private readonly int _port = LoopbackPort.Free();
    private readonly StringBuilder _history = new();
    private readonly long[] _reported = new long[Partitions];

    private string Bootstrap => $"127.0.0.1:{_port}";

    public void Dispose() => _dataDirectory.Dispose();

    [Fact]
    public async Task CopyLoopKilledRepeatedlyWithTheBrokerProducesExactlyTheInput()
    {
        var seed = Environment.TickCount;
        var random = new Random(seed);
        var broker = await StartBrokerAsync();
        var copiers = new ChildProcess?[Partitions];
        try
        {
            await CreateTopicsAsync();
            SeedInput();
            using var concurrent = new ConcurrentReader(Bootstrap, Output, Partitions);
            for (var p = 0; p < Partitions; p++)
            {
                copiers[p] = StartCopier(p);
            }

            var midStreamKills = 0;
            for (var round = 1; round <= FaultRounds; round++)
            {
                await Task.Delay(random.Next(800, 2500));
                var killBroker = round % 3 == 2;
                var victims = random.Next(3) switch { 0 => [0], 1 => [1], _ => new[] { 0, 1 } };
                var progress = CommittedProgress(copiers);
                midStreamKills += victims.Count(p => progress[p] < RecordsPerPartition);
                Log($"round {round}: killing copiers {string.Join(",", victims)}{(killBroker ? " and the broker" : "")}; committed {string.Join(",", progress)}");
                foreach (var p in victims)
                {
                    await copiers[p]!.KillAsync();
                }
                if (killBroker)
                {
                    await broker.KillAsync();
                    broker = await StartBrokerAsync();
                }
                foreach (var p in victims)
                {
                    copiers[p] = StartCopier(p);
                }
            }

            await WaitForCopyToFinishAsync(copiers, broker);
            Log($"copy finished; {midStreamKills} copier kills happened mid-stream");
            var committedOffsets = ReadCommittedOffsets();
            await concurrent.WaitForAsync(Partitions * RecordsPerPartition, Timeout);
            foreach (var copier in copiers)
            {
                await copier!.KillAsync();
            }
            var output = KafkaClients.ReadAll(Bootstrap, Output, Partitions, IsolationLevel.ReadCommitted, Timeout);

            var context = $"seed {seed}\n{_history}";
            Assert.True(midStreamKills >= 5, $"only {midStreamKills} copier kills happened mid-stream; {context}");
            Assert.All(committedOffsets, offset => Assert.Equal(RecordsPerPartition, offset));
            for (var p = 0; p < Partitions; p++)
            {
                var expected = Expected(p);
                Assert.True(
                    expected.SequenceEqual(output.Where(r => r.Partition.Value == p).Select(r => r.Message.Value)),
                    $"output partition {p} differs from its input: {Describe(expected, output.Where(r => r.Partition.Value == p).Select(r => r.Message.Value).ToList())}; {context}");
                Assert.True(
                    expected.SequenceEqual(concurrent.Values(p)),
                    $"the concurrent reader saw something else on partition {p}: {Describe(expected, concurrent.Values(p))}; {context}");
            }
        }
        finally
        {
            foreach (var copier in copiers)
            {
                if (copier is not null)
                {
                    await copier.DisposeAsync();
                }
            }
            await broker.DisposeAsync();
        }
    }

    private static List<string> Expected(int partition) =>
        Enumerable.Range(0, RecordsPerPartition).Select(i => $"p{partition}-{i:D6}").ToList();

    private static string Describe(List<string> expected, List<string> actual)
    {
        var duplicates = actual.GroupBy(v => v).Count(g => g.Count() > 1);
        var missing = expected.Except(actual).Count();
        var firstDifference = Enumerable.Range(0, Math.Min(expected.Count, actual.Count)).FirstOrDefault(i => expected[i] != actual[i], -1);
        return $"{actual.Count} records, {duplicates} duplicated, {missing} missing, first difference at {firstDifference}";
    }

    private async Task<ChildProcess> StartBrokerAsync()
    {
        var broker = ChildProcess.StartAssembly(CopierAssembly, ["broker", "--data-dir", _dataDirectory.Path, "--port", _port.ToString(CultureInfo.InvariantCulture)], "broker");
        await broker.WaitForPortAsync(_port, Timeout);
        return broker;
    }

    private ChildProcess StartCopier(int partition) => ChildProcess.StartAssembly(
        CopierAssembly,
        [
            "copy",
            "--bootstrap", Bootstrap,
            "--input", Input,
            "--output", Output,
            "--partition", partition.ToString(CultureInfo.InvariantCulture),
            "--group", Group,
            "--transactional-id", $"copier-{partition}",
            "--commit-interval-ms", "100",
            "--max-records-per-transaction", "25",
        ],
        $"copier-{partition}");

    private async Task CreateTopicsAsync()
    {
        using var admin = KafkaClients.Admin(Bootstrap);
        await admin.CreateTopicsAsync(
        [
            new TopicSpecification { Name = Input, NumPartitions = Partitions, ReplicationFactor = 1 },
            new TopicSpecification { Name = Output, NumPartitions = Partitions, ReplicationFactor = 1 },
        ]);
    }

    private void SeedInput()
    {
        using var producer = KafkaClients.Producer(Bootstrap, c => c.EnableIdempotence = true);
        for (var p = 0; p < Partitions; p++)
        {
            foreach (var value in Expected(p))
            {
                producer.Produce(new TopicPartition(Input, p), new Message<string, string> { Key = value, Value = value });
            }
        }
        producer.Flush(Timeout);
    }

    /// <summary>The last committed offset each copier reported, over all its incarnations so far.</summary>
    private long[] CommittedProgress(ChildProcess?[] copiers)
    {
        for (var p = 0; p < Partitions; p++)
        {
            _reported[p] = Math.Max(_reported[p], LastReported(copiers[p]!));
        }
        return [.. _reported];
    }

    private static long LastReported(ChildProcess copier) =>
        copier.OutputLines.Where(l => l.StartsWith("committed ", StringComparison.Ordinal))
            .Select(l => long.Parse(l["committed ".Length..], CultureInfo.InvariantCulture))
            .DefaultIfEmpty(0)
            .Max();

    private long[] ReadCommittedOffsets() => KafkaClients.CommittedOffsets(Bootstrap, Group, Input, Partitions, Timeout);

    /// <summary>Lets the copiers run (restarting any that gave up) until both committed the whole input.</summary>
    private async Task WaitForCopyToFinishAsync(ChildProcess?[] copiers, ChildProcess broker)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (ReadCommittedOffsets().Any(offset => offset < RecordsPerPartition))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException(
                    $"The copy did not finish; committed {string.Join(",", ReadCommittedOffsets())}.\n{_history}\n"
                    + $"{string.Join("\n", copiers.Select(c => c!.Transcript))}\n{broker.Transcript}");
            }
            for (var p = 0; p < Partitions; p++)
            {
                if (copiers[p]!.HasExited)
                {
                    Log($"copier {p} had stopped: {copiers[p]!.Transcript}");
                    copiers[p] = StartCopier(p);
                }
            }
            await Task.Delay(200);
        }
    }

    private void Log(string line)
    {
        lock (_history)
        {
            _history.AppendLine(line);
        }
        testOutput.WriteLine(line);
    }

    /// <summary>A read_committed consumer reading the output while the faults happen, on its own thread.</summary>
    private sealed class ConcurrentReader : IDisposable
    {
        private readonly ConcurrentQueue<(int Partition, string Value)> _seen = new();
        private readonly CancellationTokenSource _stop = new();
        private readonly Thread _thread;

        public ConcurrentReader(string bootstrap, string topic, int partitions)
        {
            _thread = new Thread(() =>
            {
                using var consumer = KafkaClients.Reader(bootstrap, IsolationLevel.ReadCommitted, c => c.EnablePartitionEof = false);
                consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
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
                consumer.Close();
            })
            { IsBackground = true, Name = "concurrent read_committed reader" };
            _thread.Start();
        }

        public List<string> Values(int partition) => _seen.Where(s => s.Partition == partition).Select(s => s.Value).ToList();

        public async Task WaitForAsync(int count, TimeSpan timeout)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (_seen.Count < count && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _thread.Join(TimeSpan.FromSeconds(30));
            _stop.Dispose();
        }
    }
}
