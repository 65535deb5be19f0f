using System.Text;
using StreamingPipeline.Jobs.Forward;

namespace StreamingPipeline.Processing.Tests;

public class ForwardJobTests
{
    [Fact]
    public async Task Forward_copies_every_record_once_in_partition_order_with_key_timestamp_and_headers()
    {
        await using var cluster = await TestCluster.StartAsync(3, 3);
        cluster.Produce(3, 0, 2000);
        using var stop = new CancellationTokenSource();
        var processor = TestCluster.Processor(new ForwardJob(), cluster.Options("forward"));
        var run = processor.RunAsync(stop.Token);
        await cluster.WaitForCommittedAsync("forward", 3, 2000);
        cluster.Produce(3, 2000, 500);
        await cluster.WaitForCommittedAsync("forward", 3, 2500);
        await stop.CancelAsync();
        await run;

        var output = cluster.ReadCommitted(TestCluster.Output, 3, 7500);
        for (var p = 0; p < 3; p++)
        {
            var partition = p;
            Assert.Equal(Enumerable.Range(0, 2500).Select(i => TestCluster.Value(partition, i)), TestCluster.Values(output, p));
        }
        var first = output.First(r => r.Partition.Value == 1);
        Assert.Equal("p1-000000", Encoding.UTF8.GetString(first.Message.Key));
        Assert.Equal(1_700_000_000_000, first.Message.Timestamp.UnixTimestampMs);
        Assert.Equal("x", Encoding.UTF8.GetString(first.Message.Headers.GetLastBytes("h")));
        Assert.Equal(7500, processor.Metrics.CommittedRecords);
        Assert.Equal(0, processor.Metrics.Aborts);
    }

    [Fact]
    public async Task Input_and_output_with_different_partition_counts_fail_with_one_clear_line()
    {
        await using var cluster = await TestCluster.StartAsync(2, 3);
        var processor = TestCluster.Processor(new ForwardJob(), cluster.Options("mismatch"));
        var error = await Assert.ThrowsAsync<ProcessingConfigurationException>(() => processor.RunAsync(CancellationToken.None));
        Assert.Contains("'in' has 2 partitions but output topic 'out' has 3", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public async Task A_missing_topic_fails_with_one_clear_line()
    {
        await using var cluster = await TestCluster.StartAsync(1, 1);
        var processor = TestCluster.Processor(new ForwardJob(), cluster.Options("missing") with { OutputTopic = "nowhere" });
        var error = await Assert.ThrowsAsync<ProcessingConfigurationException>(() => processor.RunAsync(CancellationToken.None));
        Assert.StartsWith("topic 'nowhere' does not exist", error.Message, StringComparison.Ordinal);
    }
}
