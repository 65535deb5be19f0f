namespace StreamingPipeline.Processing.Tests;

public class AbortAndRestoreTests
{
    [Fact]
    public async Task A_failed_transaction_aborts_rebuilds_the_tasks_from_the_committed_offsets_and_duplicates_nothing()
    {
        await using var cluster = await TestCluster.StartAsync(2, 2);
        cluster.Produce(2, 0, 3000);
        // Record 1500 of a partition makes the task emit a record the producer refuses: that transaction must abort.
        var job = new ProbeJob(oversizedAtIndex: 1500);
        using var stop = new CancellationTokenSource();
        var processor = TestCluster.Processor(job, cluster.Options("abort") with { MaxRecordsPerTransaction = 200 });
        var run = processor.RunAsync(stop.Token);
        await cluster.WaitForCommittedAsync("abort", 2, 3000);
        await stop.CancelAsync();
        await run;

        var output = cluster.ReadCommitted(TestCluster.Output, 2, 6000);
        for (var p = 0; p < 2; p++)
        {
            var partition = p;
            Assert.Equal(Enumerable.Range(0, 3000).Select(i => TestCluster.Value(partition, i)), TestCluster.Values(output, p));
        }
        Assert.True(processor.Metrics.Aborts >= 1, "no transaction aborted");
        var events = job.Events.ToList();
        Assert.Contains(events, e => e.StartsWith("aborted ", StringComparison.Ordinal));
        // After the abort every task was created again and restored from the committed output before processing.
        var abortedAt = events.FindIndex(e => e.StartsWith("aborted ", StringComparison.Ordinal));
        Assert.Contains(events.Skip(abortedAt), e => e.StartsWith("restore ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_task_restores_exactly_the_committed_output_of_its_partition()
    {
        await using var cluster = await TestCluster.StartAsync(2, 2);
        cluster.Produce(2, 0, 700);
        using (var stop = new CancellationTokenSource())
        {
            var first = TestCluster.Processor(new ProbeJob(), cluster.Options("restore"));
            var run = first.RunAsync(stop.Token);
            await cluster.WaitForCommittedAsync("restore", 2, 700);
            await stop.CancelAsync();
            await run;
        }
        var job = new ProbeJob();
        using (var stop = new CancellationTokenSource())
        {
            var second = TestCluster.Processor(job, cluster.Options("restore"));
            var run = second.RunAsync(stop.Token);
            await Eventually.TrueAsync(() => job.RestoredRecords.Count == 2, "both tasks restored", TestCluster.Timeout);
            await stop.CancelAsync();
            await run;
        }
        Assert.Equal(700, job.RestoredRecords[0]);
        Assert.Equal(700, job.RestoredRecords[1]);
    }
}
