using System.Globalization;
using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using StreamingPipeline.Analytics.Ingestion;
using StreamingPipeline.Analytics.Stores;
using StreamingPipeline.Jobs.Dedup;
using StreamingPipeline.Observability.Metrics;
using StreamingPipeline.Processing;
using StreamingPipeline.Processing.State;

namespace StreamingPipeline.Observability.Tests.Metrics;

/// <summary>
/// A known workload through the real dedup job and ingester on the embedded broker, scraped over HTTP: the counters
/// equal the known numbers and the text parses strictly.
/// </summary>
public sealed class ProcessingAndIngestMetricsTests
{
    private const int Partitions = 2;
    private const int Unique = 40;
    private const int Duplicates = 7;
    private const int Malformed = 3;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task After_a_known_workload_the_dedup_and_ingest_counters_equal_the_known_numbers()
    {
        var workload = KnownWorkload.Create(Partitions, Unique, Duplicates, Malformed);
        await using var broker = await TestBroker.StartAsync(b => b
            .WithOptions(o => o with { AutoCreateTopics = false })
            .WithTopic("in", Partitions)
            .WithTopic("out", Partitions)
            .WithTopic("dlq", 1));
        workload.ProduceTo(broker.BootstrapServers, "in");
        using var state = new TempDirectory("metrics-dedup-state-");
        var processor = new StreamProcessor(new DedupJob(DedupWindow.Default, StateBackend.RocksDb), new ProcessingOptions
        {
            BootstrapServers = broker.BootstrapServers,
            InputTopic = "in",
            OutputTopic = "out",
            DlqTopic = "dlq",
            GroupId = "metrics-dedup",
            StateDirectory = state.Path,
            SessionTimeout = TimeSpan.FromSeconds(6),
        }, NullLoggerFactory.Instance);
        var metrics = new PipelineMetrics();
        metrics.AddProcessor(ComponentNames.Dedup, processor.JobName, processor.Metrics);
        await using var server = await MetricsServer.StartAsync(metrics, new IPEndPoint(IPAddress.Loopback, 0), null, null, CancellationToken.None);
        using var scraper = new Scraper(server.Url);

        var (status, body) = await scraper.GetAsync("readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains("dedup: starting", body, StringComparison.Ordinal);
        metrics.SetStatus(ComponentNames.Dedup, ComponentStatus.Running);
        (status, body) = await scraper.GetAsync("readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains("dedup: no partitions assigned", body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await scraper.GetAsync("healthz")).Status);

        using var stop = new CancellationTokenSource();
        var run = processor.RunAsync(stop.Token);
        var ends = KafkaClients.EndOffsets(broker.BootstrapServers, "in", Partitions, Timeout);
        await KafkaClients.WaitForCommittedAsync(broker.BootstrapServers, "metrics-dedup", "in", ends, Timeout);
        Assert.Equal(HttpStatusCode.OK, (await scraper.GetAsync("readyz")).Status);

        // Lag and state are sampled once a second on the processing thread.
        var text = await Eventually.WaitAsync(() => TryScrape(scraper, t =>
            Enumerable.Range(0, Partitions).All(p => t.Value("processing_consumer_lag_records", ("partition", P(p))) == 0)
            && t.Sum("processing_state_keys") == Unique), "lag 0 and every key in the state", Timeout);

        var dedup = ("job", "dedup");
        for (var p = 0; p < Partitions; p++)
        {
            var partition = ("partition", P(p));
            Assert.Equal(workload.Unique[p] + workload.Duplicates[p] + workload.Malformed[p], text.Value("processing_records_in_total", dedup, partition));
            Assert.Equal(workload.Unique[p], text.Value("processing_records_out_total", dedup, partition));
            Assert.Equal(workload.Duplicates[p], text.Value("processing_duplicates_dropped_total", dedup, partition));
            Assert.Equal(workload.Unique[p], text.Value("processing_state_keys", dedup, partition));
            Assert.True(text.Value("processing_state_disk_bytes", dedup, partition) > 0, "RocksDB state has no files");
            Assert.NotNull(text.Value("processing_state_memtable_bytes", dedup, partition));
            Assert.NotNull(text.Value("processing_state_block_cache_bytes", dedup, partition));
            Assert.True(text.Value("processing_restore_duration_seconds", dedup, partition) >= 0);
            Assert.Equal(0, text.Value("processing_consumer_lag_records", dedup, ("topic", "in"), partition));
        }
        Assert.Equal(Malformed, text.Value("processing_dlq_records_total", dedup, ("reason", "not_json")));
        Assert.Equal(Malformed, text.Sum("processing_dlq_records_total", dedup));
        var commits = text.Value("processing_transactions_committed_total", dedup);
        Assert.True(commits >= 1, "no transaction committed");
        Assert.Equal(0, text.Value("processing_transactions_aborted_total", dedup));
        Assert.Equal(processor.Metrics.Commits, commits);
        Assert.Equal(commits, text.Value("processing_commit_duration_seconds_count", dedup));
        Assert.True(text.Value("processing_commit_duration_seconds_sum", dedup) > 0);
        Assert.Equal(Unique + Duplicates + Malformed, text.Value("processing_committed_records_total", dedup));
        Assert.Equal(1, text.Value("pipeline_component_up", ("component", "dedup")));
        Assert.Equal("histogram", text.FamilyTypes["processing_commit_duration_seconds"]);
        Assert.Equal("counter", text.FamilyTypes["processing_records_in_total"]);

        await stop.CancelAsync();
        await run;
        metrics.SetStatus(ComponentNames.Dedup, ComponentStatus.Stopped);
        text = await scraper.ScrapeAsync();
        Assert.Equal(0, text.Value("pipeline_component_up", ("component", "dedup")));
        // A stopped processor runs no task: its per-task gauges are gone, its counters stay.
        Assert.Empty(text.Find("processing_consumer_lag_records"));
        Assert.Equal(Unique, text.Sum("processing_records_out_total"));

        // The ingester loads the output: one row per unique event, each with a freshness and an end-to-end sample.
        using var analytics = new TempDirectory("metrics-ingest-");
        await using var store = new DuckDbAnalyticsStore(analytics.Combine("analytics.duckdb"));
        await store.OpenAsync(CancellationToken.None);
        var ingester = new AnalyticsIngester(store, new IngestOptions { BootstrapServers = broker.BootstrapServers, Topic = "out", DlqTopic = "dlq", StopAtEnd = true }, NullLoggerFactory.Instance);
        metrics.AddIngester(ingester.Metrics);
        metrics.SetStatus(ComponentNames.Ingest, ComponentStatus.Running);
        await ingester.RunAsync(CancellationToken.None);
        text = await scraper.ScrapeAsync();
        Assert.Equal(Unique, text.Value("ingest_rows_total"));
        Assert.Equal(ingester.Metrics.Commits, text.Value("ingest_batches_total"));
        Assert.True(text.Value("ingest_batches_total") >= 1);
        Assert.Equal(0, text.Value("ingest_duplicates_total"));
        Assert.Equal(0, text.Value("ingest_dlq_records_total"));
        Assert.Equal(text.Value("ingest_batches_total"), text.Value("ingest_commit_duration_seconds_count"));
        Assert.Equal(Unique, text.Value("ingest_freshness_seconds_count"));
        Assert.Equal(Unique, text.Value("pipeline_end_to_end_latency_seconds_count"));
        Assert.True(text.Value("pipeline_end_to_end_latency_seconds_sum") > 0);
        Assert.Equal(HttpStatusCode.OK, (await scraper.GetAsync("readyz")).Status);
    }

    private static string P(int partition) => partition.ToString(CultureInfo.InvariantCulture);

    private static PrometheusText? TryScrape(Scraper scraper, Func<PrometheusText, bool> condition)
    {
        var text = scraper.ScrapeAsync().GetAwaiter().GetResult();
        return condition(text) ? text : null;
    }
}
