using System.Diagnostics;
using System.Globalization;
using StreamingPipeline.Testing;
using static StreamingPipeline.Benchmarks.ProcessingThroughputBenchmark;

namespace StreamingPipeline.Benchmarks;

/// <summary>
/// What serving metrics costs the dedup job (issue #13's budget: at most 3 % of throughput). One embedded broker, the
/// input preloaded once (the same preload as <see cref="ProcessingThroughputBenchmark"/>), then rounds of two runs of
/// the real `pipeline dedup` child process over the whole input: with <c>--metrics-listen none</c> and with a metrics
/// port that this process scrapes every second, as Prometheus would. The order flips every round so a load trend on
/// the shared machine does not favour one side. Each run has its own output topic, group and state directory; its
/// rate and CPU (/proc, user + system, all threads) count from the group's first commit to the commit covering the
/// whole input, as in the processing benchmark.
/// <c>metrics-overhead [--events N] [--users N] [--rounds N] [--state rocksdb|memory] [--scrape-interval MS] [--commit-interval MS]</c>
/// </summary>
public static class MetricsOverheadBenchmark
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(20);

    /// <summary>Runs the benchmark and prints the runs and the overhead.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var events = LongArg(args, "--events", 1_000_000);
        var users = (int)LongArg(args, "--users", 200_000);
        var rounds = (int)LongArg(args, "--rounds", 3);
        var state = StringArg(args, "--state", "rocksdb");
        var scrapeMs = (int)LongArg(args, "--scrape-interval", 1000);
        var commitMs = (int)LongArg(args, "--commit-interval", 100);
        const int partitions = 8;

        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {CpuModel()}; .NET {Environment.Version}; load average {LoadAverage()}");
        Console.WriteLine($"input: {events:N0} records, {users:N0} users, 5% re-sends, 0.1% malformed, {partitions} partitions; pipeline dedup --state {state}, commit interval {commitMs} ms; {rounds} rounds; scrape every {scrapeMs} ms");

        using var directory = new TempDirectory("bench-metrics-");
        await using var broker = await BrokerProcess.StartAsync(directory.Combine("broker"));
        var bootstrap = broker.BootstrapServers;
        await CreateTopicAsync(bootstrap, Input, partitions);
        var preload = Stopwatch.StartNew();
        var summary = await PreloadAsync(bootstrap, events, users, 0.05, 0.001);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"preloaded {summary.TotalRecords:N0} records in {preload.Elapsed.TotalSeconds:0.0} s"));

        var runs = new List<Run>();
        for (var round = 0; round < rounds; round++)
        {
            bool[] order = round % 2 == 0 ? [false, true] : [true, false];
            foreach (var metricsOn in order)
            {
                var run = await RunDedupAsync(bootstrap, directory, partitions, events, commitMs, state, metricsOn, scrapeMs, round);
                runs.Add(run);
                Console.WriteLine(run.Describe());
            }
        }

        Console.WriteLine();
        Console.WriteLine("| round | metrics | records/s | events per CPU-s | CPU-s per million | scrapes (bytes each) | load avg (1 min) during run |");
        Console.WriteLine("|---|---|---:|---:|---:|---|---|");
        foreach (var r in runs)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Round + 1} | {(r.MetricsOn ? "on, scraped" : "off (`none`)")} | {r.RecordsPerSecond:N0} | {r.EventsPerCpuSecond:N0} | {r.CpuSeconds / r.Records * 1e6:0.00} | {(r.MetricsOn ? $"{r.Scrapes} ({r.ScrapeBytes:N0})" : "–")} | {r.LoadAverage} |"));
        }
        // Ratios within a round compare two runs minutes apart at most; their median is the figure to read.
        var rateRatios = new List<double>();
        var cpuRatios = new List<double>();
        for (var round = 0; round < rounds; round++)
        {
            var on = runs.Single(r => r.Round == round && r.MetricsOn);
            var off = runs.Single(r => r.Round == round && !r.MetricsOn);
            rateRatios.Add(on.RecordsPerSecond / off.RecordsPerSecond);
            cpuRatios.Add(on.EventsPerCpuSecond / off.EventsPerCpuSecond);
        }
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"records/s, on ÷ off per round: {string.Join(", ", rateRatios.Select(r => r.ToString("0.000", CultureInfo.InvariantCulture)))}; median {Median(rateRatios):0.000} → overhead {(1 - Median(rateRatios)) * 100:0.0} %"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"events per CPU-s, on ÷ off per round: {string.Join(", ", cpuRatios.Select(r => r.ToString("0.000", CultureInfo.InvariantCulture)))}; median {Median(cpuRatios):0.000} → overhead {(1 - Median(cpuRatios)) * 100:0.0} %"));
        var scraped = runs.Where(r => r.MetricsOn).ToList();
        var costs = scraped.Where(r => r.ScrapeCpuMs is not null).Select(r => r.ScrapeCpuMs!.Value).ToList();
        if (costs.Count > 0)
        {
            var jobCpuPerSecond = Median(runs.Where(r => !r.MetricsOn).Select(r => r.CpuSeconds / r.Seconds).ToList());
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"one scrape costs the job {Median(costs):0.00} CPU-ms (median of {costs.Count}: {string.Join(", ", costs.Select(c => c.ToString("0.00", CultureInfo.InvariantCulture)))}); at one scrape every {scrapeMs} ms against the job's {jobCpuPerSecond:0.00} CPU-s per second at full speed (metrics off): {Median(costs) / scrapeMs / jobCpuPerSecond * 100:0.000} % of its CPU"));
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"scrape latency (client side) over {scraped.Sum(r => r.Scrapes)} scrapes: median {Median(scraped.SelectMany(r => r.ScrapeMs).ToList()):0.0} ms, max {scraped.SelectMany(r => r.ScrapeMs).DefaultIfEmpty().Max():0.0} ms"));
        return 0;
    }

    private static async Task<Run> RunDedupAsync(string bootstrap, TempDirectory directory, int partitions, long events, int commitMs, string state, bool metricsOn, int scrapeMs, int round)
    {
        var name = $"metrics-{(metricsOn ? "on" : "off")}-{round}";
        var output = $"bench-out-{name}";
        var dlq = $"bench-dlq-{name}";
        var group = $"bench-{name}";
        var stateDirectory = directory.Combine("state-" + name);
        await CreateTopicAsync(bootstrap, output, partitions);
        await CreateTopicAsync(bootstrap, dlq, 1);
        var metricsPort = LoopbackPort.Free();
        string[] arguments =
        [
            "dedup", "-b", bootstrap, "--input-topic", Input, "--output-topic", output, "--dlq-topic", dlq, "--group-id", group,
            "--instance-id", "bench", "--state", state, "--state-dir", stateDirectory, "--commit-interval", $"{commitMs}ms", "--stats-interval", "5s",
            "--metrics-listen", metricsOn ? $"127.0.0.1:{metricsPort}" : "none",
        ];
        using var committed = new CommittedOffsetsReader(bootstrap, group, partitions);
        var load = new LoadSampler();
        await using var process = ChildProcess.StartPipeline(arguments);
        using var scraper = metricsOn ? new Scraper(new Uri($"http://127.0.0.1:{metricsPort}/metrics"), TimeSpan.FromMilliseconds(scrapeMs)) : null;
        var started = Stopwatch.StartNew();
        var (firstCommitAt, committedAtFirst, cpuAtFirst, doneAt, cpuAtEnd) = await WaitForWholeInputAsync(committed, process, started, events, name);
        var loadAverage = load.Stop();
        var scrapes = scraper is null ? null : await scraper.StopAsync();
        // The cost of one scrape, measured where the job's own work does not drown it: caught up and idle, its CPU
        // over a quiet spell, then over a spell of back-to-back scrapes.
        var scrapeCost = metricsOn ? await MeasureScrapeCostAsync(process, new Uri($"http://127.0.0.1:{metricsPort}/metrics")) : null;
        var stopped = await StopOrKillAsync(process);
        if (metricsOn && scrapes!.Succeeded == 0)
        {
            throw new InvalidOperationException($"{name}: no scrape of {metricsPort} succeeded ({scrapes.Failed} failed)\n{process.Transcript}");
        }
        var passed = CountCommitted(bootstrap, output, partitions);
        if (passed < 1)
        {
            throw new InvalidOperationException($"{name}: the output is empty");
        }
        Directory.Delete(stateDirectory, recursive: true);
        return new Run(round, metricsOn, events - committedAtFirst, (doneAt - firstCommitAt).TotalSeconds, (cpuAtEnd - cpuAtFirst).TotalSeconds,
            scrapes?.Succeeded ?? 0, scrapes?.BytesPerScrape ?? 0, scrapes?.Milliseconds ?? [], loadAverage, passed, stopped, scrapeCost);
    }

    /// <summary>CPU-ms of the job per scrape: (CPU while scraping back to back - idle CPU rate × that time) / scrapes.</summary>
    private static async Task<double?> MeasureScrapeCostAsync(ChildProcess process, Uri url)
    {
        var spell = TimeSpan.FromSeconds(10);
        var idleStart = process.TotalProcessorTime;
        var idleWatch = Stopwatch.StartNew();
        await Task.Delay(spell);
        var idleRate = (process.TotalProcessorTime - idleStart).TotalMilliseconds / idleWatch.Elapsed.TotalSeconds;
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var scrapes = 0;
        var cpuStart = process.TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < spell)
        {
            await client.GetByteArrayAsync(url);
            scrapes++;
        }
        var busy = (process.TotalProcessorTime - cpuStart).TotalMilliseconds;
        return scrapes == 0 ? null : Math.Max(0, busy - idleRate * watch.Elapsed.TotalSeconds) / scrapes;
    }

    /// <summary>
    /// SIGTERM, the same clean stop as Ctrl+C (SIGINT would be ignored when this benchmark runs as a background job of a
    /// non-interactive shell, which its children inherit); one that does not exit within <see cref="StopTimeout"/> is killed and reported (its figures were
    /// taken before the signal, so they stand).
    /// </summary>
    private static async Task<string> StopOrKillAsync(ChildProcess process)
    {
        var watch = Stopwatch.StartNew();
        await process.TerminateAsync();
        try
        {
            var exitCode = await process.WaitForExitAsync(StopTimeout);
            return string.Create(CultureInfo.InvariantCulture, $"stopped by SIGTERM in {watch.Elapsed.TotalSeconds:0.0} s (exit {exitCode})");
        }
        catch (TimeoutException)
        {
            await process.KillAsync();
            return $"did NOT exit within {StopTimeout.TotalSeconds:0} s of SIGTERM: killed";
        }
    }

    private static double Median(List<double> values)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private sealed record Run(int Round, bool MetricsOn, long Records, double Seconds, double CpuSeconds, int Scrapes, long ScrapeBytes, List<double> ScrapeMs, string LoadAverage, long Output, string Stopped, double? ScrapeCpuMs)
    {
        public double RecordsPerSecond => Records / Seconds;

        public double EventsPerCpuSecond => Records / CpuSeconds;

        public string Describe() => string.Create(CultureInfo.InvariantCulture,
            $"round {Round + 1}, metrics {(MetricsOn ? "on" : "off")}: {Records:N0} records in {Seconds:0.00} s = {RecordsPerSecond:N0}/s, {CpuSeconds:0.0} CPU-s = {EventsPerCpuSecond:N0} events per CPU-s; output {Output:N0}; {Scrapes} scrapes{(ScrapeCpuMs is { } ms ? $" (idle job: {ms:0.00} CPU-ms per scrape)" : "")}; load {LoadAverage}; {Stopped}");
    }

    private sealed record ScrapeResult(int Succeeded, int Failed, long BytesPerScrape, List<double> Milliseconds);

    /// <summary>GETs the metrics endpoint every interval, one request at a time, as a Prometheus server would.</summary>
    private sealed class Scraper : IDisposable
    {
        private readonly HttpClient _client = new() { Timeout = TimeSpan.FromSeconds(10) };
        private readonly CancellationTokenSource _stop = new();
        private readonly Task<ScrapeResult> _loop;

        public Scraper(Uri url, TimeSpan interval)
        {
            _loop = Task.Run(() => LoopAsync(url, interval));
        }

        public async Task<ScrapeResult> StopAsync()
        {
            await _stop.CancelAsync();
            return await _loop;
        }

        private async Task<ScrapeResult> LoopAsync(Uri url, TimeSpan interval)
        {
            var (succeeded, failed, bytes) = (0, 0, 0L);
            var times = new List<double>();
            using var timer = new PeriodicTimer(interval);
            try
            {
                do
                {
                    var started = Stopwatch.GetTimestamp();
                    try
                    {
                        var body = await _client.GetByteArrayAsync(url, _stop.Token);
                        times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                        succeeded++;
                        bytes = body.Length;
                    }
                    catch (Exception ex) when (ex is HttpRequestException || (ex is TaskCanceledException && !_stop.IsCancellationRequested))
                    {
                        // Before the job's server is up, or a scrape that timed out.
                        failed++;
                    }
                }
                while (await timer.WaitForNextTickAsync(_stop.Token));
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
            }
            return new ScrapeResult(succeeded, failed, bytes, times);
        }

        public void Dispose()
        {
            _stop.Cancel();
            _client.Dispose();
            _stop.Dispose();
        }
    }
}
