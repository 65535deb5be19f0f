using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using Prometheus;
using StreamingPipeline.Metering;
using static StreamingPipeline.Benchmarks.ProcessingThroughputBenchmark;

namespace StreamingPipeline.Benchmarks;

/// <summary>
/// prometheus-net beside OpenTelemetry's Prometheus exporter, for the shapes of the project's metrics (the dedup job's
/// <c>processing_*</c> set: per-task counters labelled job and partition, per-task gauges, a commit-latency histogram
/// with the project's 16 bounds, DLQ counts by reason), in one process on one Kestrel server:
/// <list type="bullet">
/// <item>hot path: nanoseconds per counter add (labels job, partition) and per histogram observation, single thread,
/// beside the project's own way (plain <see cref="Interlocked"/> counters and <see cref="LatencyHistogram"/>, read only
/// at scrape time);</item>
/// <item>scrape: wall time and this process's CPU per GET of each library's exposition of the same series, beside a
/// static body of the same size (the HTTP cost alone), and the bytes of each.</item>
/// </list>
/// Repeats are interleaved so load on the shared machine hits both libraries alike; medians are printed.
/// <c>metrics-library [--ops N] [--scrapes N] [--repeats N]</c>
/// </summary>
public static class MetricsLibraryBenchmark
{
    private const int Partitions = 8;
    private const string Job = "dedup";
    private static readonly string[] PartitionIds = [.. Enumerable.Range(0, Partitions).Select(p => p.ToString(CultureInfo.InvariantCulture))];
    private static readonly string[] Reasons = ["not_json", "missing_field", "bad_type", "too_large", "bad_event_type", "exception"];

    /// <summary>Runs the benchmark and prints markdown tables.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var ops = LongArg(args, "--ops", 10_000_000);
        var scrapes = (int)LongArg(args, "--scrapes", 500);
        var repeats = (int)LongArg(args, "--repeats", 5);
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {CpuModel()}; .NET {Environment.Version}; load average {LoadAverage()}");
        Console.WriteLine($"hot path: {ops:N0} operations per measurement; scrape: {scrapes} GETs per measurement; {repeats} interleaved repeats");

        var source = new Source();
        var prometheus = new PrometheusNetSet(source);
        using var meter = new Meter("bench.pipeline");
        var otel = new OpenTelemetrySet(meter, source);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Services.AddOpenTelemetry().WithMetrics(m => m
            .AddMeter(meter.Name)
            .AddView(OpenTelemetrySet.CommitLatencyName, new ExplicitBucketHistogramConfiguration { Boundaries = [.. LatencyHistogram.DefaultBounds] })
            .AddView(OpenTelemetrySet.HotHistogramName, new ExplicitBucketHistogramConfiguration { Boundaries = [.. LatencyHistogram.DefaultBounds] })
            // No response cache: every scrape serializes, as prometheus-net's does.
            .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));
        await using var app = builder.Build();
        app.MapPrometheusScrapingEndpoint("/opentelemetry");
        app.MapGet("/prometheus-net", async context =>
        {
            // As MetricsEndpoints serves it: collected into a buffer, then copied out.
            context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            using var buffer = new MemoryStream();
            await prometheus.Registry.CollectAndExportAsTextAsync(buffer, context.RequestAborted);
            buffer.Position = 0;
            await buffer.CopyToAsync(context.Response.Body, context.RequestAborted);
        });
        byte[] staticBody = [];
        app.MapGet("/static", context =>
        {
            context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            return context.Response.Body.WriteAsync(staticBody, context.RequestAborted).AsTask();
        });
        await app.StartAsync();
        var baseUrl = new Uri(app.Urls.First() + "/");
        using var client = new HttpClient { BaseAddress = baseUrl };

        // Hot path, with both libraries' collectors live (the exporter's MeterProvider listens to the meter).
        var hot = new (string Name, Action<long> Run)[]
        {
            ("counter: Interlocked.Add on a plain field (the project: PartitionMetrics)", n => source.AddLoop(n)),
            ("counter: prometheus-net child (labels resolved once) .Inc(n)", n => prometheus.IncChildLoop(n)),
            ("counter: prometheus-net .WithLabels(job, partition).Inc(n)", n => prometheus.IncWithLabelsLoop(n)),
            ("counter: OpenTelemetry Counter<long>.Add(n, job, partition)", n => otel.AddLoop(n)),
            ("histogram: LatencyHistogram.Record (the project)", n => source.RecordLoop(n)),
            ("histogram: prometheus-net child .Observe", n => prometheus.ObserveLoop(n)),
            ("histogram: OpenTelemetry Histogram<double>.Record(v, job)", n => otel.RecordLoop(n)),
        };
        foreach (var (_, run) in hot)
        {
            run(ops / 20);
        }
        var hotResults = hot.ToDictionary(h => h.Name, _ => new List<double>());
        for (var r = 0; r < repeats; r++)
        {
            foreach (var (name, run) in r % 2 == 0 ? hot : Enumerable.Reverse(hot))
            {
                var watch = Stopwatch.StartNew();
                run(ops);
                hotResults[name].Add(watch.Elapsed.TotalNanoseconds / ops);
            }
        }
        Console.WriteLine();
        Console.WriteLine("| hot path (one thread) | ns per call, median | min–max |");
        Console.WriteLine("|---|---:|---|");
        foreach (var (name, _) in hot)
        {
            var values = hotResults[name];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {Median(values):0.0} | {values.Min():0.0}–{values.Max():0.0} |"));
        }

        // Scrape: the same series from each library; the static body is as large as prometheus-net's.
        var promBytes = await client.GetByteArrayAsync("prometheus-net");
        var otelBytes = await client.GetByteArrayAsync("opentelemetry");
        staticBody = promBytes;
        var endpoints = new[] { "static", "prometheus-net", "opentelemetry" };
        foreach (var endpoint in endpoints)
        {
            for (var i = 0; i < 20; i++)
            {
                await client.GetByteArrayAsync(endpoint);
            }
        }
        var wall = endpoints.ToDictionary(e => e, _ => new List<double>());
        var cpu = endpoints.ToDictionary(e => e, _ => new List<double>());
        var self = Process.GetCurrentProcess();
        for (var r = 0; r < repeats; r++)
        {
            foreach (var endpoint in r % 2 == 0 ? endpoints : Enumerable.Reverse(endpoints))
            {
                self.Refresh();
                var cpuBefore = self.TotalProcessorTime;
                var watch = Stopwatch.StartNew();
                for (var i = 0; i < scrapes; i++)
                {
                    source.Tick(i);
                    await client.GetByteArrayAsync(endpoint);
                }
                wall[endpoint].Add(watch.Elapsed.TotalMicroseconds / scrapes);
                self.Refresh();
                cpu[endpoint].Add((self.TotalProcessorTime - cpuBefore).TotalMicroseconds / scrapes);
            }
        }
        Console.WriteLine();
        Console.WriteLine("| scrape of the dedup job's series (8 tasks) | bytes | µs per GET, median | CPU µs per GET (this process: client + server), median | CPU µs above the static body |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        var staticCpu = Median(cpu["static"]);
        foreach (var endpoint in endpoints)
        {
            var bytes = endpoint == "opentelemetry" ? otelBytes.Length : promBytes.Length;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {endpoint} | {bytes:N0} | {Median(wall[endpoint]):N0} | {Median(cpu[endpoint]):N0} | {(endpoint == "static" ? "–" : (Median(cpu[endpoint]) - staticCpu).ToString("N0", CultureInfo.InvariantCulture))} |"));
        }
        Console.WriteLine();
        Console.WriteLine("names OpenTelemetry's exporter wrote (first sample line of each family):");
        foreach (var line in System.Text.Encoding.UTF8.GetString(otelBytes).Split('\n').Where(l => l.StartsWith("# TYPE", StringComparison.Ordinal)))
        {
            Console.WriteLine("  " + line);
        }
        await app.StopAsync();
        return 0;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    /// <summary>The component side as the project keeps it: plain counters and gauges per task, a lock-free histogram.</summary>
    private sealed class Source
    {
        public readonly long[] In = new long[Partitions];
        public readonly long[] Out = new long[Partitions];
        public readonly long[] Dropped = new long[Partitions];
        public readonly long[] Lag = new long[Partitions];
        public readonly long[] Keys = new long[Partitions];
        public readonly long[] Disk = new long[Partitions];
        public readonly long[] Memtable = new long[Partitions];
        public readonly long[] DeadLetters = new long[Reasons.Length];
        public readonly LatencyHistogram CommitLatency = new();
        public long Commits;

        public void AddLoop(long n)
        {
            for (long i = 0; i < n; i++)
            {
                Interlocked.Add(ref In[i & (Partitions - 1)], 3);
            }
        }

        public void RecordLoop(long n)
        {
            for (long i = 0; i < n; i++)
            {
                CommitLatency.Record((i & 1023) * 0.00005);
            }
        }

        /// <summary>Moves every series a little between scrapes, as a running job does.</summary>
        public void Tick(int i)
        {
            for (var p = 0; p < Partitions; p++)
            {
                In[p] += 1000;
                Out[p] += 950;
                Dropped[p] += 50;
                Lag[p] = i % 500;
                Keys[p] += 950;
                Disk[p] += 4096;
                Memtable[p] = 1 << 20;
            }
            DeadLetters[i % Reasons.Length]++;
            Commits += 10;
            CommitLatency.Record(0.004);
        }
    }

    /// <summary>The dedup job's series in prometheus-net, as ProcessingCollector registers them.</summary>
    private sealed class PrometheusNetSet
    {
        private readonly Source _source;
        private readonly Counter _in;
        private readonly Counter _out;
        private readonly Counter _dropped;
        private readonly Counter _dlq;
        private readonly Counter.Child _commits;
        private readonly Gauge _lag;
        private readonly Gauge _keys;
        private readonly Gauge _disk;
        private readonly Gauge _memtable;
        private readonly Counter.Child[] _inChildren;
        private readonly Histogram.Child _commitLatency;
        private readonly Histogram.Child _hotHistogram;

        public PrometheusNetSet(Source source)
        {
            _source = source;
            Registry = Prometheus.Metrics.NewCustomRegistry();
            var factory = Prometheus.Metrics.WithCustomRegistry(Registry);
            string[] perTask = ["job", "partition"];
            _in = factory.CreateCounter("processing_records_in_total", "Input records processed per task.", perTask);
            _out = factory.CreateCounter("processing_records_out_total", "Output records emitted per task.", perTask);
            _dropped = factory.CreateCounter("processing_duplicates_dropped_total", "Duplicates dropped per task.", perTask);
            _dlq = factory.CreateCounter("processing_dlq_records_total", "Records sent to the DLQ by reason.", "job", "reason");
            _commits = factory.CreateCounter("processing_transactions_committed_total", "Transactions committed.", "job").WithLabels(Job);
            _lag = factory.CreateGauge("processing_consumer_lag_records", "Lag per partition.", "job", "topic", "partition");
            _keys = factory.CreateGauge("processing_state_keys", "Keys in state per task.", perTask);
            _disk = factory.CreateGauge("processing_state_disk_bytes", "State bytes on disk per task.", perTask);
            _memtable = factory.CreateGauge("processing_state_memtable_bytes", "Memtable bytes per task.", perTask);
            var buckets = new Prometheus.HistogramConfiguration { Buckets = [.. LatencyHistogram.DefaultBounds], LabelNames = ["job"] };
            _commitLatency = factory.CreateHistogram("processing_commit_duration_seconds", "Commit latency.", buckets).WithLabels(Job);
            _hotHistogram = factory.CreateHistogram("bench_hot_histogram_seconds", "The hot-path loop's histogram.", buckets).WithLabels(Job);
            _inChildren = [.. PartitionIds.Select(p => factory.CreateCounter("bench_hot_counter_total", "The hot-path loop's counter.", perTask).WithLabels(Job, p))];
            Registry.AddBeforeCollectCallback(Collect);
        }

        public CollectorRegistry Registry { get; }

        public void IncChildLoop(long n)
        {
            var children = _inChildren;
            for (long i = 0; i < n; i++)
            {
                children[i & (Partitions - 1)].Inc(3);
            }
        }

        public void IncWithLabelsLoop(long n)
        {
            for (long i = 0; i < n; i++)
            {
                _in.WithLabels(Job, PartitionIds[i & (Partitions - 1)]).Inc(3);
            }
        }

        public void ObserveLoop(long n)
        {
            for (long i = 0; i < n; i++)
            {
                _hotHistogram.Observe((i & 1023) * 0.00005);
            }
        }

        private void Collect()
        {
            for (var p = 0; p < Partitions; p++)
            {
                var id = PartitionIds[p];
                _in.WithLabels(Job, id).IncTo(Volatile.Read(ref _source.In[p]));
                _out.WithLabels(Job, id).IncTo(Volatile.Read(ref _source.Out[p]));
                _dropped.WithLabels(Job, id).IncTo(Volatile.Read(ref _source.Dropped[p]));
                _lag.WithLabels(Job, Input, id).Set(_source.Lag[p]);
                _keys.WithLabels(Job, id).Set(_source.Keys[p]);
                _disk.WithLabels(Job, id).Set(_source.Disk[p]);
                _memtable.WithLabels(Job, id).Set(_source.Memtable[p]);
            }
            for (var r = 0; r < Reasons.Length; r++)
            {
                _dlq.WithLabels(Job, Reasons[r]).IncTo(_source.DeadLetters[r]);
            }
            _commits.IncTo(_source.Commits);
            // The project carries its LatencyHistogram over with HistogramBridge; one observation per scrape stands in.
            _commitLatency.Observe(0.004);
        }
    }

    /// <summary>The same series in OpenTelemetry: observable instruments read the plain counters at collection, a real histogram.</summary>
    private sealed class OpenTelemetrySet
    {
        public const string CommitLatencyName = "processing_commit_duration";
        public const string HotHistogramName = "bench_hot_histogram";

        private readonly Counter<long> _hotCounter;
        private readonly Histogram<double> _hotHistogram;
        private readonly Histogram<double> _commitLatency;
        private readonly KeyValuePair<string, object?> _job = new("job", Job);
        private readonly KeyValuePair<string, object?>[] _partitionTags = [.. PartitionIds.Select(p => new KeyValuePair<string, object?>("partition", p))];

        public OpenTelemetrySet(Meter meter, Source source)
        {
            IEnumerable<Measurement<long>> PerTask(long[] values) =>
                Enumerable.Range(0, Partitions).Select(p => new Measurement<long>(Volatile.Read(ref values[p]), _job, _partitionTags[p]));
            // OpenTelemetry appends _total to counters and the unit to names; these are the names that yield the contract's.
            meter.CreateObservableCounter("processing_records_in", () => PerTask(source.In), description: "Input records processed per task.");
            meter.CreateObservableCounter("processing_records_out", () => PerTask(source.Out), description: "Output records emitted per task.");
            meter.CreateObservableCounter("processing_duplicates_dropped", () => PerTask(source.Dropped), description: "Duplicates dropped per task.");
            meter.CreateObservableCounter("processing_dlq_records", () => Enumerable.Range(0, Reasons.Length)
                .Select(r => new Measurement<long>(source.DeadLetters[r], _job, new KeyValuePair<string, object?>("reason", Reasons[r]))), description: "Records sent to the DLQ by reason.");
            meter.CreateObservableCounter("processing_transactions_committed", () => new Measurement<long>(source.Commits, _job), description: "Transactions committed.");
            meter.CreateObservableGauge("processing_consumer_lag_records", () => Enumerable.Range(0, Partitions)
                .Select(p => new Measurement<long>(source.Lag[p], _job, new KeyValuePair<string, object?>("topic", Input), _partitionTags[p])), description: "Lag per partition.");
            meter.CreateObservableGauge("processing_state_keys", () => PerTask(source.Keys), description: "Keys in state per task.");
            meter.CreateObservableGauge("processing_state_disk", () => PerTask(source.Disk), unit: "By", description: "State bytes on disk per task.");
            meter.CreateObservableGauge("processing_state_memtable", () => PerTask(source.Memtable), unit: "By", description: "Memtable bytes per task.");
            _commitLatency = meter.CreateHistogram<double>(CommitLatencyName, unit: "s", description: "Commit latency.");
            _hotCounter = meter.CreateCounter<long>("bench_hot_counter", description: "The hot-path loop's counter.");
            _hotHistogram = meter.CreateHistogram<double>(HotHistogramName, unit: "s", description: "The hot-path loop's histogram.");
        }

        public void AddLoop(long n)
        {
            for (long i = 0; i < n; i++)
            {
                _hotCounter.Add(3, _job, _partitionTags[i & (Partitions - 1)]);
            }
        }

        public void RecordLoop(long n)
        {
            for (long i = 0; i < n; i++)
            {
                _hotHistogram.Record((i & 1023) * 0.00005, _job);
            }
            _commitLatency.Record(0.004, _job);
        }
    }
}
