namespace StreamingPipeline.Broker.Tests.Log;

public sealed class PartitionLogWaitTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    [Fact]
    public void WaitingForAnOffsetAlreadyWrittenCompletesAtOnce()
    {
        using var dir = new TempDirectory();
        using var log = TestLogs.Open(dir.Path);
        TestLogs.AppendBatch(log, 3);

        Assert.True(log.WaitForAppendAsync(2, CancellationToken.None).IsCompletedSuccessfully);
        Assert.False(log.WaitForAppendAsync(3, CancellationToken.None).IsCompleted);
    }

    [Fact]
    public async Task ManyWaitersCompleteWhenAnAppendReachesTheirOffset()
    {
        using var dir = new TempDirectory();
        using var log = TestLogs.Open(dir.Path);
        var waiters = Enumerable.Range(0, 100).Select(_ => log.WaitForAppendAsync(0, CancellationToken.None).AsTask()).ToArray();
        var later = log.WaitForAppendAsync(5, CancellationToken.None).AsTask();
        Assert.DoesNotContain(waiters, w => w.IsCompleted);

        TestLogs.AppendBatch(log, 2);

        await Task.WhenAll(waiters).WaitAsync(Deadline);
        Assert.False(later.IsCompleted);
        TestLogs.AppendBatch(log, 4);
        await later.WaitAsync(Deadline);
    }

    [Fact]
    public async Task AWaitIsCancelledByItsToken()
    {
        using var dir = new TempDirectory();
        using var log = TestLogs.Open(dir.Path);
        using var cancellation = new CancellationTokenSource();
        var wait = log.WaitForAppendAsync(0, cancellation.Token).AsTask();

        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait.WaitAsync(Deadline));
        Assert.Equal(0, log.LogEndOffset);
    }

    [Fact]
    public async Task ClosingTheLogReleasesWaiters()
    {
        using var dir = new TempDirectory();
        var log = TestLogs.Open(dir.Path);
        var wait = log.WaitForAppendAsync(0, CancellationToken.None).AsTask();

        log.Dispose();

        await wait.WaitAsync(Deadline);
        Assert.Equal(Protocol.ErrorCode.UnknownTopicOrPartition, log.Append(RecordBatchBuilder.Build(1)).Error);
    }
}
