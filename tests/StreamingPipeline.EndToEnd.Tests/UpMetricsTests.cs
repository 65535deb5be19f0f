using System.Net;
using Confluent.Kafka.Admin;

namespace StreamingPipeline.EndToEnd.Tests;

/// <summary>
/// `pipeline up` serves the metrics of every component on the query API's address; the standalone commands serve theirs
/// on --metrics-listen (docs/metrics.md).
/// </summary>
public sealed class UpMetricsTests : IDisposable
{
    private readonly TempDirectory _dataDirectory = new("pipeline-up-metrics-");

    [Fact]
    public async Task Up_serves_metrics_and_health_of_every_component_on_the_query_address_with_moving_counters()
    {
        var queryPort = LoopbackPort.Free();
        await using var up = ChildProcess.StartPipeline("up", "--data-dir", _dataDirectory.Path, "--listen", "127.0.0.1:0",
            "--query-listen", $"127.0.0.1:{queryPort}", "--rate", "300", "--duplicates", "0.1", "--malformed", "0.05");
        await up.WaitForPortAsync(queryPort, TimeSpan.FromSeconds(90));
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{queryPort}/"), Timeout = TimeSpan.FromSeconds(30) };

        // Every component reports, and records flow through all of them: generator -> dedup -> ingest.
        PrometheusText? text = null;
        await Eventually.TrueAsync(() =>
        {
            text = PrometheusText.Parse(client.GetStringAsync(new Uri("metrics", UriKind.Relative)).GetAwaiter().GetResult());
            return text.Value("generator_records_acknowledged_total") > 0
                && text.Sum("processing_records_in_total", ("job", "dedup")) > 0
                && text.Sum("processing_duplicates_dropped_total", ("job", "dedup")) > 0
                && text.Sum("processing_dlq_records_total", ("job", "dedup")) > 0
                && text.Value("ingest_rows_total") > 0
                && text.Value("pipeline_end_to_end_latency_seconds_count") > 0;
        }, "records flowed through the generator, dedup and the ingester", TimeSpan.FromSeconds(120));
        foreach (var component in new[] { "generator", "dedup", "ingest", "query" })
        {
            Assert.Equal(1, text!.Value("pipeline_component_up", ("component", component)));
        }
        Assert.NotEmpty(text!.Find("processing_state_keys", ("job", "dedup")));
        Assert.True(text.Value("processing_transactions_committed_total", ("job", "dedup")) > 0);
        Assert.Equal("histogram", text.FamilyTypes["processing_commit_duration_seconds"]);
        await Eventually.TrueAsync(() => client.GetAsync(new Uri("readyz", UriKind.Relative)).GetAwaiter().GetResult().StatusCode == HttpStatusCode.OK,
            "up is ready", TimeSpan.FromSeconds(60));
        using var health = await client.GetAsync(new Uri("healthz", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);

        await up.InterruptAsync();
        Assert.Equal(0, await up.WaitForExitAsync(TimeSpan.FromSeconds(60)));
    }

    [Fact]
    public async Task Broker_and_dedup_serve_their_metrics_on_metrics_listen_and_dedup_is_ready_once_assigned()
    {
        var kafkaPort = LoopbackPort.Free();
        var brokerMetricsPort = LoopbackPort.Free();
        var dedupMetricsPort = LoopbackPort.Free();
        var bootstrap = $"127.0.0.1:{kafkaPort}";
        await using var broker = ChildProcess.StartPipeline("broker", "--data-dir", _dataDirectory.Combine("broker"), "--listen", bootstrap,
            "--partitions", "2", "--metrics-listen", $"127.0.0.1:{brokerMetricsPort}");
        await broker.WaitForPortAsync(kafkaPort, TimeSpan.FromSeconds(60));
        await broker.WaitForPortAsync(brokerMetricsPort, TimeSpan.FromSeconds(60));
        using var brokerClient = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{brokerMetricsPort}/"), Timeout = TimeSpan.FromSeconds(30) };
        Assert.Equal(HttpStatusCode.OK, (await brokerClient.GetAsync(new Uri("readyz", UriKind.Relative))).StatusCode);
        using (var admin = KafkaClients.Admin(bootstrap))
        {
            await admin.CreateTopicsAsync([
                new TopicSpecification { Name = "input-user-events", NumPartitions = 2, ReplicationFactor = 1 },
                new TopicSpecification { Name = "output-user-events", NumPartitions = 2, ReplicationFactor = 1 },
                new TopicSpecification { Name = "user-events-dlq", NumPartitions = 1, ReplicationFactor = 1 },
            ]);
        }

        await using var dedup = ChildProcess.StartPipeline("dedup", "-b", bootstrap, "--state", "memory", "--state-dir", _dataDirectory.Combine("state"),
            "--metrics-listen", $"127.0.0.1:{dedupMetricsPort}", "-q");
        await dedup.WaitForPortAsync(dedupMetricsPort, TimeSpan.FromSeconds(60));
        using var dedupClient = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{dedupMetricsPort}/"), Timeout = TimeSpan.FromSeconds(30) };
        await Eventually.TrueAsync(() => dedupClient.GetAsync(new Uri("readyz", UriKind.Relative)).GetAwaiter().GetResult().StatusCode == HttpStatusCode.OK,
            "dedup is ready (partitions assigned and restored)", TimeSpan.FromSeconds(90));
        var dedupText = PrometheusText.Parse(await dedupClient.GetStringAsync(new Uri("metrics", UriKind.Relative)));
        Assert.Equal(2, dedupText.Value("processing_assigned_partitions", ("job", "dedup")));
        Assert.Equal(1, dedupText.Value("pipeline_component_up", ("component", "dedup")));

        // The dedup's group traffic shows in the broker's request counters.
        var brokerText = PrometheusText.Parse(await brokerClient.GetStringAsync(new Uri("metrics", UriKind.Relative)));
        Assert.True(brokerText.Sum("broker_requests_total", ("api", "JoinGroup")) >= 1);
        Assert.True(brokerText.Value("broker_connections") >= 1);
        Assert.NotNull(brokerText.Value("broker_log_end_offset", ("topic", "input-user-events"), ("partition", "1")));

        await dedup.InterruptAsync();
        Assert.Equal(0, await dedup.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        await broker.InterruptAsync();
        Assert.Equal(0, await broker.WaitForExitAsync(TimeSpan.FromSeconds(60)));
    }

    public void Dispose() => _dataDirectory.Dispose();
}
