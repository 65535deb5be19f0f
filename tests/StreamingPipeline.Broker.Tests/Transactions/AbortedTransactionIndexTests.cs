using StreamingPipeline.Broker.Transactions;

namespace StreamingPipeline.Broker.Tests.Transactions;

public sealed class AbortedTransactionIndexTests : IDisposable
{
    private const int EntrySize = 42;
    private static readonly AbortedTransaction First = new(1, 0, 5, 3); // producer 2 was still open from 3
    private static readonly AbortedTransaction Second = new(2, 3, 10, 11);
    private static readonly AbortedTransaction Third = new(3, 12, 20, 21);
    private readonly TempDirectory _directory = new();

    private string IndexPath => _directory.Combine(AbortedTransactionIndex.FileName);

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void QueryReturnsTheAbortedTransactionsOverlappingTheFetchedRange()
    {
        using var index = OpenWith(First, Second, Third);

        Assert.Equal([First, Second], index.GetAbortedTransactions(0, 4));
        Assert.Equal([First], index.GetAbortedTransactions(0, 3));
        Assert.Equal([Second], index.GetAbortedTransactions(6, 12));
        Assert.Equal([Third], index.GetAbortedTransactions(11, 30));
        Assert.Empty(index.GetAbortedTransactions(21, 30));
    }

    [Fact]
    public void QueryAgreesWithAFullScanOnRandomInterleavedTransactions()
    {
        var log = new TestPartition();
        using var state = ProducerStateManager.Open(_directory.Path, 0, 0, log.ReadFrom);
        new ProducerScenario(seed: 11, producers: 6).Run(log, state, 600);
        var all = state.AbortedTransactions.GetAbortedTransactions(0, long.MaxValue);
        Assert.True(all.Count > 10, "the scenario should abort transactions");
        var random = new Random(3);

        for (var i = 0; i < 500; i++)
        {
            var fetchOffset = random.NextInt64(0, log.EndOffset);
            var upperBound = random.NextInt64(fetchOffset, log.EndOffset + 1);
            var expected = all.Where(t => t.LastOffset >= fetchOffset && t.FirstOffset < upperBound).ToList();

            Assert.Equal(expected, state.AbortedTransactions.GetAbortedTransactions(fetchOffset, upperBound));
        }
    }

    [Fact]
    public void RemovedEntriesStayRemovedAfterReopeningAndAppendsGoOn()
    {
        using (var index = OpenWith(First, Second, Third))
        {
            Assert.Equal(0, index.Remove([7, 21]));
            Assert.Equal(1, index.Remove([10]));
            Assert.Equal([First, Third], index.GetAbortedTransactions(0, long.MaxValue));
            Assert.True(index.Append(new AbortedTransaction(4, 22, 25, 26)));
        }

        using var reopened = AbortedTransactionIndex.Open(IndexPath);

        Assert.Equal([First, Third, new AbortedTransaction(4, 22, 25, 26)], reopened.GetAbortedTransactions(0, long.MaxValue));
        Assert.Equal([Third], reopened.GetAbortedTransactions(6, 13));
        Assert.False(File.Exists(IndexPath + ".rewrite"));
    }

    [Fact]
    public void EntriesSurviveReopening()
    {
        OpenWith(First, Second).Dispose();

        using var reopened = AbortedTransactionIndex.Open(IndexPath);

        Assert.Equal([First, Second], reopened.GetAbortedTransactions(0, long.MaxValue));
    }

    [Fact]
    public void TornTailIsCutOnOpenAndAppendsContinueAfterIt()
    {
        OpenWith(First, Second, Third).Dispose();
        using (var file = new FileStream(IndexPath, FileMode.Open))
        {
            file.SetLength(file.Length - 5);
        }

        using (var reopened = AbortedTransactionIndex.Open(IndexPath))
        {
            Assert.Equal([First, Second], reopened.GetAbortedTransactions(0, long.MaxValue));
            Assert.Equal(2 * EntrySize, new FileInfo(IndexPath).Length);
            Assert.True(reopened.Append(Third));
        }
        using var again = AbortedTransactionIndex.Open(IndexPath);
        Assert.Equal([First, Second, Third], again.GetAbortedTransactions(0, long.MaxValue));
    }

    [Fact]
    public void CorruptEntryEndsTheIndex()
    {
        OpenWith(First, Second, Third).Dispose();
        var bytes = File.ReadAllBytes(IndexPath);
        bytes[EntrySize + 20] ^= 0x40;
        File.WriteAllBytes(IndexPath, bytes);

        using var reopened = AbortedTransactionIndex.Open(IndexPath);

        Assert.Equal([First], reopened.GetAbortedTransactions(0, long.MaxValue));
    }

    [Fact]
    public void ReplayedEntriesAreNotAppendedTwice()
    {
        using var index = OpenWith(First, Second);

        Assert.False(index.Append(First));
        Assert.False(index.Append(Second));
        Assert.Equal(2, index.Count);
        Assert.Equal(2 * EntrySize, new FileInfo(IndexPath).Length);
    }

    [Fact]
    public void TruncationDropsEntriesWhoseMarkerIsAtOrAfterTheOffset()
    {
        using (var index = OpenWith(First, Second, Third))
        {
            index.TruncateFrom(10);
            Assert.Equal([First], index.GetAbortedTransactions(0, long.MaxValue));
            Assert.True(index.Append(Third));
        }

        using var reopened = AbortedTransactionIndex.Open(IndexPath);
        Assert.Equal([First, Third], reopened.GetAbortedTransactions(0, long.MaxValue));
    }

    [Fact]
    public void RetentionRemovesEntriesWhoseMarkerIsBeforeTheLogStart()
    {
        using (var index = OpenWith(First, Second, Third))
        {
            index.RemoveBefore(6);
            Assert.Equal([Second, Third], index.GetAbortedTransactions(0, long.MaxValue));
        }

        using var reopened = AbortedTransactionIndex.Open(IndexPath);
        Assert.Equal([Second, Third], reopened.GetAbortedTransactions(0, long.MaxValue));
    }

    private AbortedTransactionIndex OpenWith(params AbortedTransaction[] entries)
    {
        var index = AbortedTransactionIndex.Open(IndexPath);
        foreach (var entry in entries)
        {
            Assert.True(index.Append(entry));
        }
        return index;
    }
}
