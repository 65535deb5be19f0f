using StreamingPipeline.Broker.Transactions;

namespace StreamingPipeline.Broker.Tests.Transactions;

public sealed class AbortedTransactionIndexTests : IDisposable
{
    private const int EntrySize = 42;
    private static readonly AbortedTransaction _first = new(1, 0, 5, 3); // producer 2 was still open from 3
    private static readonly AbortedTransaction _second = new(2, 3, 10, 11);
    private static readonly AbortedTransaction _third = new(3, 12, 20, 21);
    private readonly TempDirectory _directory = new();

    private string IndexPath => _directory.Combine(AbortedTransactionIndex.FileName);

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void QueryReturnsTheAbortedTransactionsOverlappingTheFetchedRange()
    {
        using var index = OpenWith(_first, _second, _third);

        Assert.Equal([_first, _second], index.GetAbortedTransactions(0, 4));
        Assert.Equal([_first], index.GetAbortedTransactions(0, 3));
        Assert.Equal([_second], index.GetAbortedTransactions(6, 12));
        Assert.Equal([_third], index.GetAbortedTransactions(11, 30));
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
    public void EntriesSurviveReopening()
    {
        OpenWith(_first, _second).Dispose();

        using var reopened = AbortedTransactionIndex.Open(IndexPath);

        Assert.Equal([_first, _second], reopened.GetAbortedTransactions(0, long.MaxValue));
    }

    [Fact]
    public void TornTailIsCutOnOpenAndAppendsContinueAfterIt()
    {
        OpenWith(_first, _second, _third).Dispose();
        using (var file = new FileStream(IndexPath, FileMode.Open))
        {
            file.SetLength(file.Length - 5);
        }

        using (var reopened = AbortedTransactionIndex.Open(IndexPath))
        {
            Assert.Equal([_first, _second], reopened.GetAbortedTransactions(0, long.MaxValue));
            Assert.Equal(2 * EntrySize, new FileInfo(IndexPath).Length);
            Assert.True(reopened.Append(_third));
        }
        using var again = AbortedTransactionIndex.Open(IndexPath);
        Assert.Equal([_first, _second, _third], again.GetAbortedTransactions(0, long.MaxValue));
    }

    [Fact]
    public void CorruptEntryEndsTheIndex()
    {
        OpenWith(_first, _second, _third).Dispose();
        var bytes = File.ReadAllBytes(IndexPath);
        bytes[EntrySize + 20] ^= 0x40;
        File.WriteAllBytes(IndexPath, bytes);

        using var reopened = AbortedTransactionIndex.Open(IndexPath);

        Assert.Equal([_first], reopened.GetAbortedTransactions(0, long.MaxValue));
    }

    [Fact]
    public void ReplayedEntriesAreNotAppendedTwice()
    {
        using var index = OpenWith(_first, _second);

        Assert.False(index.Append(_first));
        Assert.False(index.Append(_second));
        Assert.Equal(2, index.Count);
        Assert.Equal(2 * EntrySize, new FileInfo(IndexPath).Length);
    }

    [Fact]
    public void TruncationDropsEntriesWhoseMarkerIsAtOrAfterTheOffset()
    {
        using (var index = OpenWith(_first, _second, _third))
        {
            index.TruncateFrom(10);
            Assert.Equal([_first], index.GetAbortedTransactions(0, long.MaxValue));
            Assert.True(index.Append(_third));
        }

        using var reopened = AbortedTransactionIndex.Open(IndexPath);
        Assert.Equal([_first, _third], reopened.GetAbortedTransactions(0, long.MaxValue));
    }

    [Fact]
    public void RetentionRemovesEntriesWhoseMarkerIsBeforeTheLogStart()
    {
        using (var index = OpenWith(_first, _second, _third))
        {
            index.RemoveBefore(6);
            Assert.Equal([_second, _third], index.GetAbortedTransactions(0, long.MaxValue));
        }

        using var reopened = AbortedTransactionIndex.Open(IndexPath);
        Assert.Equal([_second, _third], reopened.GetAbortedTransactions(0, long.MaxValue));
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
