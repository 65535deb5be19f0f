using Prometheus;
using StreamingPipeline.Observability.Metrics;
using StreamingPipeline.Processing;

namespace StreamingPipeline.Observability.Tests.Metrics;

public sealed class HistogramBridgeTests
{
    [Fact]
    public async Task Counts_and_sum_carried_over_at_scrape_time_equal_the_values_recorded()
    {
        var source = new LatencyHistogram([0.01, 0.1, 1]);
        var registry = Prometheus.Metrics.NewCustomRegistry();
        var target = Prometheus.Metrics.WithCustomRegistry(registry).CreateHistogram("test_duration_seconds", "test", HistogramBridge.Configuration(source));
        var bridge = new HistogramBridge(source, target);
        double[] values = [0.002, 0.01, 0.011, 0.05, 0.099, 0.1, 0.5, 3, 7, 0];
        foreach (var value in values[..5])
        {
            source.Record(value);
        }
        bridge.Update();
        foreach (var value in values[5..])
        {
            source.Record(value);
        }
        // Bounds are inclusive (le): 0.01 and 0.1 fall in their own bucket, as Prometheus counts them.
        source.Record(-1);
        bridge.Update();
        bridge.Update();

        var text = await ScrapeAsync(registry);
        Assert.Equal(4, text.Value("test_duration_seconds_bucket", ("le", "0.01")));
        Assert.Equal(8, text.Value("test_duration_seconds_bucket", ("le", "0.1")));
        Assert.Equal(9, text.Value("test_duration_seconds_bucket", ("le", "1")));
        Assert.Equal(11, text.Value("test_duration_seconds_bucket", ("le", "+Inf")));
        Assert.Equal(11, text.Value("test_duration_seconds_count"));
        Assert.Equal(values.Sum(), text.Value("test_duration_seconds_sum")!.Value, 9);
    }

    private static async Task<PrometheusText> ScrapeAsync(CollectorRegistry registry)
    {
        using var buffer = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(buffer);
        return PrometheusText.Parse(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
    }
}
