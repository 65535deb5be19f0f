using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Microsoft.Extensions.Logging.Abstractions;
using StreamingPipeline.Events.Generation;
using StreamingPipeline.Events.Producing;
using StreamingPipeline.Testing;

namespace StreamingPipeline.Benchmarks;

/// <summary>
/// Throughput of the processing jobs beside a yardstick, in one run on one embedded broker (`pipeline broker`, its own
/// process): the generator preloads the input topic once, then each run reads all of it into its own output topic with
/// its own consumer group. The yardstick is a bare Confluent.Kafka consume→produce loop in this process (no
/// transactions, offsets auto-committed every commit interval); the jobs run as the real `pipeline forward` /
/// `pipeline dedup` child processes, so their CPU time and peak RSS (/proc) are theirs alone. A job's rate counts from
/// its group's first commit to the commit that covers the whole input, so process start, group join and restore are
/// not in it (they are measured separately for the restore). Afterwards, on the RocksDB dedup: state bytes on disk,
/// restart times with the state kept and with the state directory deleted (a full rebuild from the output), and the
/// append→visible latency at a steady rate. Every job's output is counted against the exact expectation (the RocksDB
/// run's latency and restart events, appended to the shared input, included); a mismatch makes the benchmark exit 1.
/// <c>processing [--events N] [--users N] [--duplicates S] [--malformed S] [--partitions N] [--commit-interval MS]
/// [--latency-rate N] [--latency-seconds N] [--jobs yardstick,forward,rocksdb,memory]</c>
/// </summary>
public static class ProcessingThroughputBenchmark
{
    internal const string Input = "bench-input";
    private const string SentHeader = "bench-sent";
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(30);

    /// <summary>Runs the benchmark and prints a markdown table.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var events = LongArg(args, "--events", 5_000_000);
        var users = (int)LongArg(args, "--users", 1_000_000);
        var duplicates = DoubleArg(args, "--duplicates", 0.05);
        var malformed = DoubleArg(args, "--malformed", 0.001);
        var partitions = (int)LongArg(args, "--partitions", 8);
        var commitMs = (int)LongArg(args, "--commit-interval", 100);
        var latencyRate = (int)LongArg(args, "--latency-rate", 1000);
        var latencySeconds = (int)LongArg(args, "--latency-seconds", 20);
        var jobs = StringArg(args, "--jobs", "yardstick,forward,memory,rocksdb").Split(',');

        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {CpuModel()}; .NET {Environment.Version}; librdkafka {Library.VersionString}; load average {LoadAverage()}");
        Console.WriteLine($"input: {events:N0} generator records, {users:N0} users, {duplicates:P0} duplicates, {malformed:P1} malformed, {partitions} partitions; commit interval {commitMs} ms");

        using var directory = new TempDirectory("bench-processing-");
        await using var broker = await BrokerProcess.StartAsync(directory.Combine("broker"));
        var bootstrap = broker.BootstrapServers;
        await CreateTopicAsync(bootstrap, Input, partitions);

        var preload = Stopwatch.StartNew();
        var summary = await PreloadAsync(bootstrap, events, users, duplicates, malformed);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"preloaded {summary.TotalRecords:N0} records ({summary.Events:N0} events, {summary.Duplicates:N0} re-sends, {summary.Malformed:N0} malformed; dedup output expected in [{summary.ExpectedDedupOutput.Min:N0}, {summary.ExpectedDedupOutput.Max:N0}]) in {preload.Elapsed.TotalSeconds:0.0} s"));

        Console.WriteLine($"input topic holds {EndOffsetsTotal(bootstrap, Input, partitions):N0} records");
        // Output topics, groups and transactional ids are this invocation's own: a job left running by an earlier,
        // interrupted invocation cannot join this one's group or write into its outputs even if its broker's port is reused.
        var runId = Guid.NewGuid().ToString("N")[..8];
        var results = new List<RunResult>();
        foreach (var job in jobs)
        {
            var run = job switch
            {
                "yardstick" => await RunYardstickAsync(bootstrap, partitions, events, commitMs),
                "forward" => await RunJobAsync(bootstrap, directory, runId, partitions, events, commitMs, "forward", "memory", summary, latencyRate, latencySeconds),
                "memory" => await RunJobAsync(bootstrap, directory, runId, partitions, events, commitMs, "dedup", "memory", summary, latencyRate, latencySeconds),
                "rocksdb" => await RunJobAsync(bootstrap, directory, runId, partitions, events, commitMs, "dedup", "rocksdb", summary, latencyRate, latencySeconds),
                _ => throw new ArgumentException($"unknown job {job} (yardstick, forward, memory, rocksdb)"),
            };
            results.Add(run);
            Console.WriteLine(run.Describe());
        }

        var yardstick = results.FirstOrDefault(r => r.Name.StartsWith("yardstick", StringComparison.Ordinal));
        Console.WriteLine();
        Console.WriteLine("| run | records/s | ratio to yardstick | events per CPU-s | CPU-s per million | peak RSS | load avg (1 min) at end |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---|");
        foreach (var r in results)
        {
            var ratio = yardstick is null ? "" : (r.RecordsPerSecond / yardstick.RecordsPerSecond).ToString("0.00", CultureInfo.InvariantCulture) + "×";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Name} | {r.RecordsPerSecond:N0} | {ratio} | {r.Records / r.CpuSeconds:N0} | {r.CpuSeconds / r.Records * 1e6:0.00} | {(r.PeakRssBytes > 0 ? $"{r.PeakRssBytes / 1048576.0:N0} MiB" : "n/a (in-process)")} | {r.LoadAverage} |"));
        }
        foreach (var r in results.Where(r => r.Notes.Count > 0))
        {
            Console.WriteLine();
            Console.WriteLine($"{r.Name}:");
            foreach (var note in r.Notes)
            {
                Console.WriteLine($"- {note}");
            }
        }
        var wrong = results.Where(r => r.Mismatch is not null).ToList();
        foreach (var r in wrong)
        {
            Console.Error.WriteLine($"OUTPUT MISMATCH in {r.Name}: {r.Mismatch}");
        }
        return wrong.Count == 0 ? 0 : 1;
    }

    internal static async Task<GeneratorSummary> PreloadAsync(string bootstrap, long events, int users, double duplicates, double malformed)
    {
        var options = new GeneratorOptions
        {
            Seed = 9,
            EventTimeStart = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
            MaxRecords = events,
            Users = users,
            DuplicateShare = duplicates,
            MalformedShare = malformed,
        };
        var settings = new ProducerSettings { BootstrapServers = bootstrap, Topic = Input, Rate = -1 };
        var outcome = await new EventProducer(options, settings, TimeProvider.System, NullLogger.Instance).RunAsync(CancellationToken.None);
        if (!outcome.Succeeded || outcome.Summary.Acknowledged != events)
        {
            throw new InvalidOperationException($"preload failed: {outcome.Error}; acknowledged {outcome.Summary.Acknowledged} of {events}");
        }
        return outcome.Summary;
    }

    /// <summary>
    /// The yardstick: consume every input record and produce it to the same partition of its output, no transactions,
    /// offsets auto-committed every commit interval; timed from the first record consumed until the last is acknowledged.
    /// </summary>
    private static async Task<RunResult> RunYardstickAsync(string bootstrap, int partitions, long events, int commitMs)
    {
        const string output = "bench-out-yardstick";
        await CreateTopicAsync(bootstrap, output, partitions);
        var load = new LoadSampler();
        return await Task.Factory.StartNew(() =>
        {
            // The same client settings as the job's runtime (ClientConfigs), minus the transaction.
            using var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig
            {
                BootstrapServers = bootstrap,
                EnableIdempotence = true,
                LingerMs = 5,
                QueueBufferingMaxMessages = 1_000_000,
                DeliveryReportFields = "status",
            }).SetLogHandler((_, _) => { }).Build();
            using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
            {
                BootstrapServers = bootstrap,
                GroupId = "bench-yardstick",
                EnableAutoCommit = true,
                AutoCommitIntervalMs = commitMs,
                IsolationLevel = IsolationLevel.ReadCommitted,
                AutoOffsetReset = AutoOffsetReset.Earliest,
                FetchWaitMaxMs = 100,
            }).SetLogHandler((_, _) => { }).Build();
            consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(Input, p, Offset.Beginning)));
            var first = consumer.Consume(TimeSpan.FromSeconds(30)) ?? throw new TimeoutException("yardstick: no input");
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var watch = Stopwatch.StartNew();
            var deadline = DateTime.UtcNow + RunTimeout;
            var result = first;
            for (long copied = 0; copied < events;)
            {
                if (result?.Message is not null)
                {
                    while (true)
                    {
                        try
                        {
                            producer.Produce(new TopicPartition(output, result.Partition), result.Message);
                            break;
                        }
                        catch (ProduceException<byte[], byte[]> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
                        {
                            producer.Poll(TimeSpan.FromMilliseconds(1));
                        }
                    }
                    copied++;
                }
                if (copied < events)
                {
                    result = consumer.Consume(TimeSpan.FromMilliseconds(100));
                    if (DateTime.UtcNow > deadline)
                    {
                        throw new TimeoutException($"yardstick copied only {copied} of {events}");
                    }
                }
            }
            producer.Flush(TimeSpan.FromMinutes(5));
            watch.Stop();
            var cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
            consumer.Close();
            return new RunResult("yardstick: bare consume→produce, no transactions", events, watch.Elapsed.TotalSeconds, cpuSeconds, 0, load.Stop(), []);
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>Runs `pipeline <paramref name="job"/>` over the whole input and, for RocksDB, the restore and latency measurements.</summary>
    private static async Task<RunResult> RunJobAsync(string bootstrap, TempDirectory directory, string runId, int partitions, long events, int commitMs, string job, string state, GeneratorSummary summary, int latencyRate, int latencySeconds)
    {
        var name = job == "forward" ? "forward" : $"dedup-{state}";
        var output = $"bench-out-{name}-{runId}";
        var dlq = $"bench-dlq-{name}-{runId}";
        var group = $"bench-{name}-{runId}";
        // An earlier RocksDB run appended its latency and restart events to the input: fresh, valid, unique events
        // that every job reads and a dedup passes, so they count in the input and in the expected output.
        var inputRecords = EndOffsetsTotal(bootstrap, Input, partitions);
        var appended = inputRecords - events;
        var stateDirectory = directory.Combine("state-" + name);
        await CreateTopicAsync(bootstrap, output, partitions);
        await CreateTopicAsync(bootstrap, dlq, 1);
        string[] arguments =
        [
            job, "-b", bootstrap, "--input-topic", Input, "--output-topic", output, "--dlq-topic", dlq, "--group-id", group,
            "--instance-id", "bench", "--state", state, "--state-dir", stateDirectory, "--commit-interval", $"{commitMs}ms", "--stats-interval", "5s",
        ];
        using var committed = new CommittedOffsetsReader(bootstrap, group, partitions);
        var load = new LoadSampler();
        var notes = new List<string>();
        await using var process = ChildProcess.StartPipeline(arguments);
        var started = Stopwatch.StartNew();
        var (firstCommitAt, committedAtFirst, cpuAtFirst, doneAt, cpuAtEnd) = await WaitForWholeInputAsync(committed, process, started, inputRecords, name);
        var rss = PeakRss(process.Id);
        var loadAverage = load.Stop();
        notes.Add(string.Create(CultureInfo.InvariantCulture,
            $"first commit {firstCommitAt.TotalSeconds:0.0} s after start ({committedAtFirst:N0} records in it); whole process: {cpuAtEnd.TotalSeconds:0.0} CPU-s over {doneAt.TotalSeconds:0.0} s"));
        string? mismatch = null;
        if (job == "dedup")
        {
            var passed = CountCommitted(bootstrap, output, partitions);
            var dead = CountCommitted(bootstrap, dlq, 1);
            var (min, max) = (summary.ExpectedDedupOutput.Min + appended, summary.ExpectedDedupOutput.Max + appended);
            notes.Add(string.Create(CultureInfo.InvariantCulture,
                $"output {passed:N0} records (expected [{min:N0}, {max:N0}]: the preload's plus {appended:N0} fresh events appended by earlier runs), DLQ {dead:N0} (malformed {summary.Malformed:N0})"));
            if (passed < min || passed > max || dead != summary.Malformed)
            {
                mismatch = string.Create(CultureInfo.InvariantCulture,
                    $"output {passed:N0} (expected [{min:N0}, {max:N0}], off by {(passed < min ? passed - min : passed - max):+#,0;-#,0}), DLQ {dead:N0} (expected {summary.Malformed:N0})");
                notes.Add("**MISMATCH**: " + mismatch);
            }
        }
        else
        {
            var forwarded = CountCommitted(bootstrap, output, partitions);
            notes.Add(string.Create(CultureInfo.InvariantCulture, $"output {forwarded:N0} records (expected the input's {inputRecords:N0})"));
            if (forwarded != inputRecords)
            {
                mismatch = string.Create(CultureInfo.InvariantCulture, $"output {forwarded:N0} records, the input {inputRecords:N0}");
                notes.Add("**MISMATCH**: " + mismatch);
            }
        }
        var result = new RunResult(
            $"pipeline {job} --state {state}", inputRecords - committedAtFirst, (doneAt - firstCommitAt).TotalSeconds, (cpuAtEnd - cpuAtFirst).TotalSeconds, rss, loadAverage, notes)
        {
            Mismatch = mismatch,
        };
        // Events right after the preloaded ones in event time, so the window still holds all of the preloaded state.
        var fresh = new FreshEvents(partitions, (summary.LastTimestamp ?? 0) + 60_000);
        if (state == "rocksdb")
        {
            var latency = await MeasureLatencyAsync(bootstrap, output, partitions, fresh, latencyRate, latencySeconds);
            notes.Add(string.Create(CultureInfo.InvariantCulture, $"append→visible latency at {latencyRate}/s: {latency}"));
        }
        notes.Add(await StopAsync(process));
        if (state == "rocksdb")
        {
            notes.Add(string.Create(CultureInfo.InvariantCulture, $"state on disk after the stop: {DirectoryBytes(stateDirectory) / 1048576.0:N1} MiB in {stateDirectory}"));
            var warm = await MeasureRestartAsync(arguments, committed, fresh, bootstrap);
            notes.Add($"restart with its state kept: {warm}");
            Directory.Delete(stateDirectory, recursive: true);
            var cold = await MeasureRestartAsync(arguments, committed, fresh, bootstrap);
            notes.Add($"restart with the state directory deleted (full rebuild from the output): {cold}");
        }
        return result;
    }

    /// <summary>
    /// Appends one new event to every input partition, starts the job, and times until its group has committed them:
    /// process start, group join, restore, and the first transaction.
    /// </summary>
    private static async Task<string> MeasureRestartAsync(string[] arguments, CommittedOffsetsReader committed, FreshEvents fresh, string bootstrap)
    {
        var target = committed.Total() + fresh.SendOnePerPartition(bootstrap, Input, null);
        await using var process = ChildProcess.StartPipeline(arguments);
        var started = Stopwatch.StartNew();
        while (committed.Total() < target)
        {
            Fail(process, started, "restart did not catch up");
            await Task.Delay(50);
        }
        var elapsed = started.Elapsed;
        var cpu = process.TotalProcessorTime;
        var restoreLines = process.Error.Split('\n').Concat(process.Output.Split('\n')).Where(l => l.Contains("restored", StringComparison.Ordinal)).Select(l => l.Trim()).ToList();
        if (Environment.GetEnvironmentVariable("BENCH_VERBOSE") is not null)
        {
            Console.WriteLine(process.Transcript);
        }
        var restoreLine = restoreLines.LastOrDefault() ?? "no restore line";
        await StopAsync(process);
        return string.Create(CultureInfo.InvariantCulture, $"caught up {elapsed.TotalSeconds:0.00} s after start ({cpu.TotalSeconds:0.0} CPU-s; its log: \"{restoreLine}\")");
    }

    /// <summary>
    /// Appends fresh events at a steady <paramref name="rate"/> for <paramref name="seconds"/>, each stamped with its send
    /// time in a header, and reads the output read_committed: the latency from the send to the record being visible.
    /// </summary>
    private static async Task<string> MeasureLatencyAsync(string bootstrap, string output, int partitions, FreshEvents fresh, int rate, int seconds)
    {
        var latencies = new List<double>();
        var sent = 0;
        int Seen()
        {
            lock (latencies)
            {
                return latencies.Count;
            }
        }
        using var stop = new CancellationTokenSource();
        var reader = Task.Factory.StartNew(() =>
        {
            using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
            {
                BootstrapServers = bootstrap,
                GroupId = "bench-latency-" + Guid.NewGuid().ToString("N"),
                IsolationLevel = IsolationLevel.ReadCommitted,
                EnableAutoCommit = false,
                FetchWaitMaxMs = 10,
            }).SetLogHandler((_, _) => { }).Build();
            consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(output, p, Offset.End)));
            while (!stop.IsCancellationRequested)
            {
                var result = consumer.Consume(TimeSpan.FromMilliseconds(50));
                if (result?.Message?.Headers?.TryGetLastBytes(SentHeader, out var stamp) == true)
                {
                    var latency = Stopwatch.GetElapsedTime(BitConverter.ToInt64(stamp)).TotalMilliseconds;
                    lock (latencies)
                    {
                        latencies.Add(latency);
                    }
                }
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        // Let the reader's assignment settle at the end before the first send.
        await Task.Delay(2000);
        using (var producer = FreshEvents.CreateProducer(bootstrap))
        {
            var clock = Stopwatch.StartNew();
            var total = rate * seconds;
            while (sent < total)
            {
                var due = (long)(sent * 1000.0 / rate);
                var wait = due - clock.ElapsedMilliseconds;
                if (wait > 0)
                {
                    await Task.Delay((int)wait);
                }
                fresh.Send(producer, Input, stamp: true);
                sent++;
            }
            producer.Flush(TimeSpan.FromSeconds(30));
        }
        var waitUntil = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (Seen() < sent && DateTime.UtcNow < waitUntil)
        {
            await Task.Delay(200);
        }
        await stop.CancelAsync();
        await reader;
        var sorted = latencies.Order().ToList();
        return sorted.Count == 0
            ? "no records seen"
            : string.Create(CultureInfo.InvariantCulture,
                $"p50 {Percentile(sorted, 0.50):0} ms, p99 {Percentile(sorted, 0.99):0} ms, max {sorted[^1]:0} ms over {sorted.Count:N0} of {sent:N0} records sent in {seconds} s");
    }

    private static double Percentile(List<double> sorted, double fraction) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(fraction * sorted.Count) - 1)];

    internal static void Fail(ChildProcess process, Stopwatch started, string what)
    {
        if (process.HasExited)
        {
            throw new InvalidOperationException($"{what}: the job exited with {process.ExitCode}\n{process.Transcript}");
        }
        if (started.Elapsed > RunTimeout)
        {
            throw new TimeoutException($"{what} within {RunTimeout}\n{process.Transcript}");
        }
    }

    /// <summary>When a job's group first committed and when its commits covered the whole input, with the job's CPU at each.</summary>
    internal readonly record struct CommitSpan(TimeSpan FirstCommitAt, long CommittedAtFirst, TimeSpan CpuAtFirst, TimeSpan DoneAt, TimeSpan CpuAtEnd);

    /// <summary>Polls the job's committed offsets every 100 ms until they cover <paramref name="events"/> records; fails if the job exits or runs out of time.</summary>
    internal static async Task<CommitSpan> WaitForWholeInputAsync(CommittedOffsetsReader committed, ChildProcess process, Stopwatch started, long events, string name)
    {
        var (firstCommitAt, committedAtFirst, cpuAtFirst) = (TimeSpan.Zero, 0L, TimeSpan.Zero);
        while (true)
        {
            var total = committed.Total();
            if (total > 0 && firstCommitAt == TimeSpan.Zero)
            {
                (firstCommitAt, committedAtFirst, cpuAtFirst) = (started.Elapsed, total, process.TotalProcessorTime);
            }
            if (total >= events)
            {
                return new CommitSpan(firstCommitAt, committedAtFirst, cpuAtFirst, started.Elapsed, process.TotalProcessorTime);
            }
            Fail(process, started, $"{name} committed only {total} of {events}");
            await Task.Delay(100);
        }
    }

    /// <summary>
    /// SIGTERM (the same clean stop as Ctrl+C, and deliverable even when this benchmark runs as a background job with
    /// SIGINT ignored) and the wait for a clean exit; returns how long the stop took, or why it was not clean (then the
    /// job is killed and the run goes on).
    /// </summary>
    private static async Task<string> StopAsync(ChildProcess process)
    {
        var stopping = Stopwatch.StartNew();
        await process.TerminateAsync();
        try
        {
            var exitCode = await process.WaitForExitAsync(TimeSpan.FromSeconds(120));
            return exitCode == 0
                ? string.Create(CultureInfo.InvariantCulture, $"stopped {stopping.Elapsed.TotalSeconds:0.0} s after SIGTERM")
                : $"exited with {exitCode} after SIGTERM";
        }
        catch (TimeoutException)
        {
            await process.KillAsync();
            var tail = string.Join('\n', process.Transcript.Split('\n').Where(l => !l.Contains("in=", StringComparison.Ordinal)).TakeLast(15));
            return $"did not exit within 120 s of SIGTERM (killed); its log ends:\n{tail}";
        }
    }

    /// <summary>VmHWM: the most resident memory the process ever had.</summary>
    internal static long PeakRss(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    private static long DirectoryBytes(string path) =>
        Directory.Exists(path) ? new DirectoryInfo(path).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length) : 0;

    /// <summary>High watermarks: for a topic written without transactions, its record count.</summary>
    private static long EndOffsetsTotal(string bootstrap, string topic, int partitions)
    {
        using var consumer = KafkaClients.Reader(bootstrap, IsolationLevel.ReadCommitted);
        return Enumerable.Range(0, partitions).Sum(p => consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), TimeSpan.FromSeconds(10)).High.Value);
    }

    /// <summary>The records a read_committed reader sees (offsets would count transaction markers and aborted records too).</summary>
    internal static long CountCommitted(string bootstrap, string topic, int partitions)
    {
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = "bench-count-" + Guid.NewGuid().ToString("N"),
            IsolationLevel = IsolationLevel.ReadCommitted,
            EnableAutoCommit = false,
            EnablePartitionEof = true,
        }).SetLogHandler((_, _) => { }).Build();
        consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var atEnd = new HashSet<int>();
        long count = 0;
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(5);
        while (atEnd.Count < partitions && DateTime.UtcNow < deadline)
        {
            if (consumer.Consume(TimeSpan.FromSeconds(1)) is not { } result)
            {
                continue;
            }
            if (result.IsPartitionEOF)
            {
                atEnd.Add(result.Partition.Value);
            }
            else
            {
                count++;
            }
        }
        return count;
    }

    internal static string CpuModel() =>
        File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU"
            : "unknown CPU";

    internal static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    internal static async Task CreateTopicAsync(string bootstrap, string topic, int partitions)
    {
        using var admin = KafkaClients.Admin(bootstrap);
        await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = partitions, ReplicationFactor = 1 }]);
    }

    internal static long LongArg(string[] args, string name, long defaultValue)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? long.Parse(args[at + 1], CultureInfo.InvariantCulture) : defaultValue;
    }

    internal static double DoubleArg(string[] args, string name, double defaultValue)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? double.Parse(args[at + 1], CultureInfo.InvariantCulture) : defaultValue;
    }

    internal static string StringArg(string[] args, string name, string defaultValue)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : defaultValue;
    }

    /// <summary>One measured run.</summary>
    private sealed record RunResult(string Name, long Records, double Seconds, double CpuSeconds, long PeakRssBytes, string LoadAverage, List<string> Notes)
    {
        /// <summary>How the job's output differs from the exact expectation; null when it is exact.</summary>
        public string? Mismatch { get; init; }

        public double RecordsPerSecond => Records / Seconds;

        public string Describe() => string.Create(CultureInfo.InvariantCulture,
            $"{Name}: {Records:N0} records in {Seconds:0.00} s = {RecordsPerSecond:N0}/s, {CpuSeconds:0.0} CPU-s, peak RSS {PeakRssBytes / 1048576.0:N0} MiB, load {LoadAverage}");
    }

    /// <summary>The 1-minute load average sampled every second while a run lasts: min–max.</summary>
    internal sealed class LoadSampler
    {
        private readonly List<double> _samples = [];
        private readonly Timer _timer;

        public LoadSampler()
        {
            _timer = new Timer(_ => Sample(), null, TimeSpan.Zero, TimeSpan.FromSeconds(1));
        }

        public string Stop()
        {
            _timer.Dispose();
            lock (_samples)
            {
                return _samples.Count == 0 ? "n/a" : string.Create(CultureInfo.InvariantCulture, $"{_samples.Min():0.0}–{_samples.Max():0.0}");
            }
        }

        private void Sample()
        {
            if (File.Exists("/proc/loadavg"))
            {
                var value = double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);
                lock (_samples)
                {
                    _samples.Add(value);
                }
            }
        }
    }

    /// <summary>The offsets a group has committed on the input, read with one long-lived client that never joins the group.</summary>
    internal sealed class CommittedOffsetsReader : IDisposable
    {
        private readonly IConsumer<byte[], byte[]> _consumer;
        private readonly List<TopicPartition> _partitions;

        public CommittedOffsetsReader(string bootstrap, string group, int partitions)
        {
            _consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = bootstrap, GroupId = group, EnableAutoCommit = false })
                .SetLogHandler((_, _) => { }).Build();
            _partitions = Enumerable.Range(0, partitions).Select(p => new TopicPartition(Input, p)).ToList();
        }

        public long Total()
        {
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    return _consumer.Committed(_partitions, TimeSpan.FromSeconds(10)).Sum(o => Math.Max(0, o.Offset.Value));
                }
                catch (KafkaException ex) when (ex.Error.Code == ErrorCode.Local_TimedOut && attempt < 6)
                {
                    // The fetch waits for stable offsets, and a job committing every 100 ms on a loaded machine can keep
                    // one pending past the timeout: ask again rather than abandon the run.
                }
            }
        }

        public void Dispose() => _consumer.Dispose();
    }

    /// <summary>New, valid events after everything preloaded (their own seed, later event time, no re-sends).</summary>
    private sealed class FreshEvents
    {
        private readonly EventStreamGenerator _generator;

        public FreshEvents(int partitions, long eventTimeStart)
        {
            // No re-sends: every one of these passes, so the output shows each.
            _generator = new EventStreamGenerator(new GeneratorOptions { Seed = eventTimeStart, Users = 1_000_000, EventTimeStart = eventTimeStart }, partitions);
            Partitions = partitions;
        }

        public int Partitions { get; }

        public static IProducer<byte[], byte[]> CreateProducer(string bootstrap) =>
            new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = bootstrap, EnableIdempotence = true, LingerMs = 0 })
                .SetLogHandler((_, _) => { }).Build();

        /// <summary>Sends events until every partition got at least one; returns how many were sent.</summary>
        public int SendOnePerPartition(string bootstrap, string topic, IProducer<byte[], byte[]>? producer)
        {
            using var owned = producer is null ? CreateProducer(bootstrap) : null;
            var target = producer ?? owned!;
            var covered = new HashSet<int>();
            var sent = 0;
            while (covered.Count < Partitions)
            {
                covered.Add(Send(target, topic, stamp: false));
                sent++;
            }
            target.Flush(TimeSpan.FromSeconds(30));
            return sent;
        }

        /// <summary>Sends the next record (an event or a re-send) to its partition; returns the partition.</summary>
        public int Send(IProducer<byte[], byte[]> producer, string topic, bool stamp)
        {
            _generator.TryNext(out var record);
            var message = new Message<byte[], byte[]>
            {
                Key = record.Key,
                Value = record.Value.ToArray(),
                Timestamp = new Timestamp(record.Timestamp, TimestampType.CreateTime),
                Headers = stamp ? [new Header(SentHeader, BitConverter.GetBytes(Stopwatch.GetTimestamp()))] : [],
            };
            producer.Produce(new TopicPartition(topic, record.Partition), message);
            return record.Partition;
        }
    }
}
