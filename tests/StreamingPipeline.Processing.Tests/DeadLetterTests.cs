using System.Globalization;
using System.Text;

namespace StreamingPipeline.Processing.Tests;

public class DeadLetterTests
{
    [Fact]
    public async Task Rejected_and_throwing_records_go_to_the_dlq_in_the_transaction_with_their_bytes_and_headers()
    {
        await using var cluster = await TestCluster.StartAsync(2, 2);
        // Every 100th record makes the task throw, every 100th + 50 is rejected; the rest pass.
        cluster.Produce(2, 0, 1000, (p, i) => (i % 100) switch
        {
            7 => $"throw-p{p}-{i:D6}",
            57 => $"bad-p{p}-{i:D6}",
            _ => TestCluster.Value(p, i),
        });
        var job = new ProbeJob();
        using var stop = new CancellationTokenSource();
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var processor = TestCluster.Processor(job, cluster.Options("dlq"));
        var run = processor.RunAsync(stop.Token);
        await cluster.WaitForCommittedAsync("dlq", 2, 1000);
        await stop.CancelAsync();
        await run;

        var output = cluster.ReadCommitted(TestCluster.Output, 2, 1960);
        var dlq = cluster.ReadCommitted(TestCluster.Dlq, 1, 40);
        for (var p = 0; p < 2; p++)
        {
            var partition = p;
            Assert.Equal(
                Enumerable.Range(0, 1000).Where(i => i % 100 is not (7 or 57)).Select(i => TestCluster.Value(partition, i)),
                TestCluster.Values(output, p));
        }
        Assert.Equal(40, dlq.Count);
        Assert.Equal(40, processor.Metrics.DeadLettered);
        foreach (var record in dlq)
        {
            var value = Encoding.UTF8.GetString(record.Message.Value);
            string Header(string name) => Encoding.UTF8.GetString(record.Message.Headers.GetLastBytes(name));
            Assert.Equal(value, Encoding.UTF8.GetString(record.Message.Key));
            var sourcePartition = int.Parse(Header(DeadLetterHeaders.SourcePartition), CultureInfo.InvariantCulture);
            var sourceOffset = long.Parse(Header(DeadLetterHeaders.SourceOffset), CultureInfo.InvariantCulture);
            Assert.Equal(TestCluster.Input, Header(DeadLetterHeaders.SourceTopic));
            Assert.EndsWith($"p{sourcePartition}-{sourceOffset:D6}", value, StringComparison.Ordinal);
            Assert.InRange(long.Parse(Header(DeadLetterHeaders.Time), CultureInfo.InvariantCulture), before, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            Assert.Equal("x", Header("h"));
            if (value.StartsWith("throw", StringComparison.Ordinal))
            {
                Assert.Equal(DeadLetterHeaders.ExceptionCode, Header(DeadLetterHeaders.Code));
                Assert.Equal($"System.InvalidOperationException: boom {value}", Header(DeadLetterHeaders.Detail));
            }
            else
            {
                Assert.Equal("not_json", Header(DeadLetterHeaders.Code));
                Assert.Equal($"cannot parse {value}", Header(DeadLetterHeaders.Detail));
            }
        }
    }
}
