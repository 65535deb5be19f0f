namespace StreamingPipeline.Processing.Tests;

public class RebalanceTests(Xunit.Abstractions.ITestOutputHelper testOutput)
{
    [Fact]
    public async Task Instances_joining_and_leaving_mid_stream_lose_and_duplicate_nothing()
    {
        const int partitions = 4;
        await using var cluster = await TestCluster.StartAsync(partitions, partitions);
        var jobs = new[] { new ProbeJob(), new ProbeJob(), new ProbeJob() };
        var stops = jobs.Select(_ => new CancellationTokenSource()).ToArray();
        var processors = jobs.Select((job, i) => TestCluster.Processor(job, cluster.Options("rebalance", $"i{i}"), new TestOutputLoggerFactory(testOutput, $"i{i}"))).ToArray();
        var runs = new Task?[3];
        try
        {
            cluster.Produce(partitions, 0, 1500);
            runs[0] = processors[0].RunAsync(stops[0].Token);
            await Eventually.TrueAsync(() => processors[0].Metrics.CommittedRecords > 0, "the first instance committing");

            // 1 -> 2 instances while records flow.
            runs[1] = processors[1].RunAsync(stops[1].Token);
            await Eventually.TrueAsync(() => processors[1].Metrics.AssignedPartitions > 0, "the second instance taking partitions");
            cluster.Produce(partitions, 1500, 1500);
            await Eventually.TrueAsync(() => processors[1].Metrics.CommittedRecords > 0, "the second instance committing");

            // 2 -> 3, then the first one leaves.
            runs[2] = processors[2].RunAsync(stops[2].Token);
            await Eventually.TrueAsync(() => processors[2].Metrics.AssignedPartitions > 0, "the third instance taking partitions");
            cluster.Produce(partitions, 3000, 1500);
            await stops[0].CancelAsync();
            await runs[0]!;
            cluster.Produce(partitions, 4500, 1500);

            await cluster.WaitForCommittedAsync("rebalance", partitions, 6000);
        }
        finally
        {
            foreach (var stop in stops)
            {
                await stop.CancelAsync();
            }
            await Task.WhenAll(runs.Where(r => r is not null)!);
            foreach (var stop in stops)
            {
                stop.Dispose();
            }
        }

        var output = cluster.ReadCommitted(TestCluster.Output, partitions, partitions * 6000);
        for (var p = 0; p < partitions; p++)
        {
            var partition = p;
            Assert.Equal(Enumerable.Range(0, 6000).Select(i => TestCluster.Value(partition, i)), TestCluster.Values(output, p));
        }
        Assert.Equal(partitions * 6000, processors.Sum(p => p.Metrics.CommittedRecords));
        // Every task that took over a partition restored it first, from what was committed before.
        Assert.All(jobs, job => Assert.All(job.Events.Where(e => e.StartsWith("create ", StringComparison.Ordinal)), created =>
            Assert.Contains(job.Events, e => e.StartsWith("restore " + created["create ".Length..] + " ", StringComparison.Ordinal))));
    }
}
