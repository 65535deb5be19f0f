using StreamingPipeline.Cli.Produce;
using StreamingPipeline.Events.Producing;

namespace StreamingPipeline.Events.Tests.Cli;

public class ProgressDisplayTests
{
    [Fact]
    public void ThePlainLineShowsTheRateOverTheLastIntervalAndTheCounters()
    {
        var last = new ProducerProgress(1000, 900, 0, 0, null, TimeSpan.FromSeconds(5));
        var now = new ProducerProgress(11_000, 10_500, 2, 3, "Connection refused", TimeSpan.FromSeconds(10));

        var line = ProgressDisplay.FormatLine(now, last);

        Assert.Equal(
            "produce: elapsed=10s rate=2000/s sent=11000 acked=10500 in_flight=498 failed=2 broker_errors=3 last_error=\"Connection refused\"",
            line);
    }

    [Fact]
    public void AnOldErrorIsNotRepeatedOnEveryLine()
    {
        var last = new ProducerProgress(1000, 1000, 0, 3, "Connection refused", TimeSpan.FromSeconds(5));
        var now = new ProducerProgress(2000, 2000, 0, 3, "Connection refused", TimeSpan.FromSeconds(6));

        Assert.DoesNotContain("last_error", ProgressDisplay.FormatLine(now, last), StringComparison.Ordinal);
    }
}
