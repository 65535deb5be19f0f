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
    public async Task QueryReturnsTheAbortedTransactionsOverlappingTheFetchedRange()
    {
        await using var index = await OpenWithAsync(_first, _second, _third);

        Assert.Equal([_first, _second], index.GetAbortedTransactions(0, 4));
        Assert.Equal([_first], index.GetAbortedTransactions(0, 3));
        Assert.Equal([_second], index.GetAbortedTransactions(6, 12));
        Assert.Equal([_third], index.GetAbortedTransactions(11, 30));
        Assert.Empty(index.GetAbortedTransactions(21, 30));
    }

    [Fact]
    public async Task QueryAgreesWithAFullScanOnRandomInterleavedTransactions()
    {
        var log = new TestPartition();
        await using var state = await ProducerStateManager.OpenAsync(_directory.Path, 0, 0, log.ReadFrom);
        await new ProducerScenario(seed: 11, producers: 6).RunAsync(log, state, 600);
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
    public async Task EntriesSurviveReopening()
    {
        await (await OpenWithAsync(_first, _second)).DisposeAsync();

        await using var reopened = await AbortedTransactionIndex.OpenAsync(IndexPath);

        Assert.Equal([_first, _second], reopened.GetAbortedTransactions(0, long.MaxValue));
    }

    [Fact]
    public async Task TornTailIsCutOnOpenAndAppendsContinueAfterIt()
    {
        await (await OpenWithAsync(_first, _second, _third)).DisposeAsync();
        await using (var file = new FileStream(IndexPath, FileMode.Open))
        {
            file.SetLength(file.Length - 5);
        }

        await using (var reopened = await AbortedTransactionIndex.OpenAsync(IndexPath))
        {
            Assert.Equal([_first, _second], reopened.GetAbortedTransactions(0, long.MaxValue));
            Assert.Equal(2 * EntrySize, new FileInfo(IndexPath).Length);
            Assert.True(await reopened.AppendAsync(_third));
        }
        await using var again = await AbortedTransactionIndex.OpenAsync(IndexPath);
        Assert.Equal([_first, _second, _third], again.GetAbortedTransactions(0, long.MaxValue));
    }

    [Fact]
    public async Task CorruptEntryEndsTheIndex()
    {
        await (await OpenWithAsync(_first, _second, _third)).DisposeAsync();
        var bytes = await File.ReadAllBytesAsync(IndexPath);
        bytes[EntrySize + 20] ^= 0x40;
        await File.WriteAllBytesAsync(IndexPath, bytes);

        await using var reopened = await AbortedTransactionIndex.OpenAsync(IndexPath);

        Assert.Equal([_first], reopened.GetAbortedTransactions(0, long.MaxValue));
    }

    [Fact]
    public async Task ReplayedEntriesAreNotAppendedTwice()
    {
        await using var index = await OpenWithAsync(_first, _second);

        Assert.False(await index.AppendAsync(_first));
        Assert.False(await index.AppendAsync(_second));
        Assert.Equal(2, index.Count);
        Assert.Equal(2 * EntrySize, new FileInfo(IndexPath).Length);
    }

    [Fact]
    public async Task TruncationDropsEntriesWhoseMarkerIsAtOrAfterTheOffset()
    {
        await using (var index = await OpenWithAsync(_first, _second, _third))
        {
            await index.TruncateFromAsync(10);
            Assert.Equal([_first], index.GetAbortedTransactions(0, long.MaxValue));
            Assert.True(await index.AppendAsync(_third));
        }

        await using var reopened = await AbortedTransactionIndex.OpenAsync(IndexPath);
        Assert.Equal([_first, _third], reopened.GetAbortedTransactions(0, long.MaxValue));
    }

    [Fact]
    public async Task RetentionRemovesEntriesWhoseMarkerIsBeforeTheLogStart()
    {
        await using (var index = await OpenWithAsync(_first, _second, _third))
        {
            await index.RemoveBeforeAsync(6);
            Assert.Equal([_second, _third], index.GetAbortedTransactions(0, long.MaxValue));
        }

        await using var reopened = await AbortedTransactionIndex.OpenAsync(IndexPath);
        Assert.Equal([_second, _third], reopened.GetAbortedTransactions(0, long.MaxValue));
    }

    private async Task<AbortedTransactionIndex> OpenWithAsync(params AbortedTransaction[] entries)
    {
        var index = await AbortedTransactionIndex.OpenAsync(IndexPath);
        foreach (var entry in entries)
        {
            Assert.True(await index.AppendAsync(entry));
        }
        return index;
    }
}
