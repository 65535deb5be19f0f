using System.Collections.Immutable;
using StreamingPipeline.Broker.Log;
using StreamingPipeline.Broker.Transactions;

namespace StreamingPipeline.Broker.Tests.Transactions;

public sealed class TransactionLogTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    private string LogPath => _directory.Combine(TransactionLog.FileName);

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task LastEntryOfEachIdIsItsStateAfterReopening()
    {
        var ongoing = Metadata("a", TransactionState.Ongoing) with
        {
            Partitions = [new TopicPartition("orders", 0), new TopicPartition("orders", 3), new TopicPartition("données", 1)],
            GroupIds = ["group-1", "group-2"],
        };
        var (log, state) = await TransactionLog.OpenAsync(_directory.Path, flushToDisk: false);
        Assert.Empty(state);
        await log.AppendAsync(Metadata("a", TransactionState.Empty));
        await log.AppendAsync(Metadata("b", TransactionState.Empty));
        await log.AppendAsync(ongoing);
        await log.DisposeAsync();

        var (reopened, loaded) = await TransactionLog.OpenAsync(_directory.Path, flushToDisk: false);
        await reopened.DisposeAsync();

        Assert.Equal(2, loaded.Count);
        AssertSame(ongoing, loaded["a"]);
        Assert.Equal(TransactionState.Empty, loaded["b"].State);
    }

    [Fact]
    public async Task TornTailIsIgnoredAndTheStateBeforeItKept()
    {
        var (log, _) = await TransactionLog.OpenAsync(_directory.Path, flushToDisk: false);
        await log.AppendAsync(Metadata("a", TransactionState.Ongoing));
        await log.AppendAsync(Metadata("a", TransactionState.PrepareCommit));
        await log.DisposeAsync();
        await using (var file = new FileStream(LogPath, FileMode.Open))
        {
            file.SetLength(file.Length - 3);
        }

        var (reopened, loaded) = await TransactionLog.OpenAsync(_directory.Path, flushToDisk: false);
        await reopened.DisposeAsync();

        Assert.Equal(TransactionState.Ongoing, loaded["a"].State);
    }

    [Fact]
    public async Task OpeningCompactsTheFileToOneEntryPerLiveId()
    {
        var (log, _) = await TransactionLog.OpenAsync(_directory.Path, flushToDisk: false);
        for (var i = 0; i < 50; i++)
        {
            await log.AppendAsync(Metadata("a", TransactionState.Ongoing) with { LastUpdateMs = i });
            await log.AppendAsync(Metadata("b", TransactionState.Ongoing) with { LastUpdateMs = i });
        }
        await log.AppendTombstoneAsync("b");
        Assert.Equal(101, log.EntryCount);
        await log.DisposeAsync();
        var before = new FileInfo(LogPath).Length;

        var (reopened, loaded) = await TransactionLog.OpenAsync(_directory.Path, flushToDisk: false);
        await reopened.DisposeAsync();

        Assert.Equal(1, reopened.EntryCount);
        Assert.Equal(49, Assert.Single(loaded).Value.LastUpdateMs);
        Assert.True(new FileInfo(LogPath).Length < before / 50);
    }

    [Fact]
    public async Task CompactionKeepsTheGivenStatesAndLaterAppends()
    {
        var (log, _) = await TransactionLog.OpenAsync(_directory.Path, flushToDisk: true);
        await log.AppendAsync(Metadata("a", TransactionState.Ongoing));
        await log.AppendAsync(Metadata("a", TransactionState.PrepareAbort));
        await log.CompactAsync([Metadata("a", TransactionState.PrepareAbort)]);
        await log.AppendAsync(Metadata("c", TransactionState.Empty));
        Assert.Equal(2, log.EntryCount);
        await log.DisposeAsync();

        var (reopened, loaded) = await TransactionLog.OpenAsync(_directory.Path, flushToDisk: false);
        await reopened.DisposeAsync();

        Assert.Equal(TransactionState.PrepareAbort, loaded["a"].State);
        Assert.Equal(TransactionState.Empty, loaded["c"].State);
    }

    private static TransactionMetadata Metadata(string id, TransactionState state) =>
        new(id, 42, -1, 3, 2, 60_000, state, [], ImmutableHashSet.Create<string>(StringComparer.Ordinal), 1_000, 2_000);

    private static void AssertSame(TransactionMetadata expected, TransactionMetadata actual)
    {
        Assert.Equal(expected with { Partitions = [], GroupIds = [] }, actual with { Partitions = [], GroupIds = [] });
        Assert.True(expected.Partitions.SetEquals(actual.Partitions));
        Assert.True(expected.GroupIds.SetEquals(actual.GroupIds));
    }
}
