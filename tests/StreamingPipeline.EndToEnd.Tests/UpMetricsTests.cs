using System.Net;

namespace StreamingPipeline.EndToEnd.Tests;

/// <summary>`pipeline up` serves the metrics of every component on the query API's address (docs/metrics.md).</summary>
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

    public void Dispose() => _dataDirectory.Dispose();
}
