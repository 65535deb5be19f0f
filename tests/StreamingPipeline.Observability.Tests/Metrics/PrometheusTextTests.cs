namespace StreamingPipeline.Observability.Tests.Metrics;

/// <summary>The test's parser is strict: output that Prometheus would reject fails it.</summary>
public sealed class PrometheusTextTests
{
    [Theory]
    [InlineData("a_total 1")]
    [InlineData("1bad 1\n")]
    [InlineData("a{b=\"c} 1\n")]
    [InlineData("a{b=\"\\x\"} 1\n")]
    [InlineData("a one\n")]
    [InlineData("a 1\na 2\n")]
    [InlineData("a 1\nb 1\na{x=\"1\"} 1\n")]
    [InlineData("# TYPE a counter\n# TYPE a counter\na 1\n")]
    [InlineData("# TYPE a wrong\na 1\n")]
    [InlineData("a 1\n# TYPE a counter\n")]
    [InlineData("# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n")]
    [InlineData("# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n")]
    [InlineData("# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 1\n")]
    public void Malformed_expositions_are_rejected(string text) =>
        Assert.Throws<FormatException>(() => PrometheusText.Parse(text));

    [Fact]
    public void A_valid_exposition_parses_with_its_labels_and_values()
    {
        var text = PrometheusText.Parse(
            "# HELP a_total A help text.\n# TYPE a_total counter\na_total{x=\"q\\\"uote\",y=\"2\"} 3 1700000000000\n"
            + "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 4.5\nh_count 2\ng NaN\n");
        Assert.Equal(3, text.Value("a_total", ("x", "q\"uote")));
        Assert.Equal(4.5, text.Value("h_sum"));
        Assert.True(double.IsNaN(text.Value("g")!.Value));
    }
}
