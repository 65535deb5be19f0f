using System.Buffers.Binary;
using StreamingPipeline.Broker.Log;
using StreamingPipeline.Broker.Transactions;

namespace StreamingPipeline.Broker.Tests.Transactions;

public sealed class ProducerStateSnapshotTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly TestPartition _log = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task SnapshotPlusReplayRebuildsTheSameState()
    {
        var scenario = new ProducerScenario(seed: 1);
        string expected;
        await using (var state = await OpenAsync())
        {
            await scenario.RunAsync(_log, state, 150);
            await state.TakeSnapshotAsync();
            await scenario.RunAsync(_log, state, 150);
            expected = ProducerScenario.Describe(state, _log.EndOffset);
        }

        await using var reopened = await OpenAsync();

        Assert.Equal(expected, ProducerScenario.Describe(reopened, _log.EndOffset));
        Assert.Single(reopened.SnapshotOffsets);
    }

    [Fact]
    public async Task ReplayOfTheWholeLogWithoutASnapshotRebuildsTheSameState()
    {
        var scenario = new ProducerScenario(seed: 2);
        string expected;
        await using (var state = await OpenAsync())
        {
            await scenario.RunAsync(_log, state, 200);
            expected = ProducerScenario.Describe(state, _log.EndOffset);
        }
        File.Delete(_directory.Combine(AbortedTransactionIndex.FileName));

        await using var reopened = await OpenAsync();

        Assert.Equal(expected, ProducerScenario.Describe(reopened, _log.EndOffset));
    }

    [Fact]
    public async Task RetriesOfTheLastFiveBatchesAreStillDuplicatesAfterARestart()
    {
        const long producer = 7;
        var sent = new List<byte[]>();
        await using (var state = await OpenAsync())
        {
            for (var sequence = 0; sequence < 8; sequence++)
            {
                sent.Add(TestBatches.Data(producer, 0, sequence));
                await _log.AppendAsync(state, sent[^1]);
            }
            await state.TakeSnapshotAsync();
        }

        await using var reopened = await OpenAsync();

        for (var i = 3; i < 8; i++)
        {
            var (check, _) = await _log.AppendAsync(reopened, sent[i]);
            Assert.True(check.IsDuplicate);
            Assert.Equal(i, check.DuplicateFirstOffset);
        }
        Assert.Equal(8, _log.EndOffset);
    }

    [Fact]
    public async Task CorruptNewestSnapshotIsDeletedAndTheOlderOneUsed()
    {
        var scenario = new ProducerScenario(seed: 3);
        string expected;
        long newest;
        await using (var state = await OpenAsync())
        {
            await scenario.RunAsync(_log, state, 80);
            await state.TakeSnapshotAsync();
            await scenario.RunAsync(_log, state, 80);
            await state.TakeSnapshotAsync();
            newest = state.SnapshotOffsets.Max();
            await scenario.RunAsync(_log, state, 40);
            expected = ProducerScenario.Describe(state, _log.EndOffset);
        }
        var newestPath = _directory.Combine($"{newest:D20}.snapshot");
        var bytes = await File.ReadAllBytesAsync(newestPath);
        bytes[^3] ^= 0xFF;
        await File.WriteAllBytesAsync(newestPath, bytes);

        await using var reopened = await OpenAsync();

        Assert.Equal(expected, ProducerScenario.Describe(reopened, _log.EndOffset));
        Assert.False(File.Exists(newestPath));
        Assert.Single(reopened.SnapshotOffsets);
    }

    [Fact]
    public async Task TruncatedLogDiscardsLaterSnapshotsAndIndexEntries()
    {
        var scenario = new ProducerScenario(seed: 4);
        await using (var state = await OpenAsync())
        {
            await scenario.RunAsync(_log, state, 300);
            await state.TakeSnapshotAsync();
        }
        var cut = new RecordBatchHeader(_log.Batches[_log.Batches.Count / 2]).BaseOffset;
        _log.TruncateTo(cut);
        using var freshDirectory = new TempDirectory();
        await using var fromScratch = await ProducerStateManager.OpenAsync(freshDirectory.Path, 0, _log.EndOffset, _log.ReadFrom);

        await using var recovered = await OpenAsync();

        Assert.Empty(recovered.SnapshotOffsets);
        Assert.Equal(ProducerScenario.Describe(fromScratch, cut), ProducerScenario.Describe(recovered, cut));
        Assert.All(recovered.AbortedTransactions.GetAbortedTransactions(0, long.MaxValue), entry => Assert.True(entry.LastOffset < cut));
    }

    [Fact]
    public async Task LostTailOfTheAbortedIndexIsRebuiltByReplay()
    {
        var scenario = new ProducerScenario(seed: 5);
        long snapshotOffset;
        IReadOnlyList<AbortedTransaction> expected;
        await using (var state = await OpenAsync())
        {
            await scenario.RunAsync(_log, state, 150);
            await state.TakeSnapshotAsync();
            snapshotOffset = state.MapEndOffset;
            await scenario.RunAsync(_log, state, 150);
            expected = state.AbortedTransactions.GetAbortedTransactions(0, long.MaxValue);
        }
        var kept = expected.Count(entry => entry.LastOffset < snapshotOffset);
        Assert.True(expected.Count > kept, "the scenario should abort transactions after the snapshot");
        await using (var file = new FileStream(_directory.Combine(AbortedTransactionIndex.FileName), FileMode.Open))
        {
            file.SetLength((kept * 42) + 17); // a whole tail lost, ending in a torn entry
        }

        await using var reopened = await OpenAsync();

        Assert.Equal(expected, reopened.AbortedTransactions.GetAbortedTransactions(0, long.MaxValue));
    }

    [Fact]
    public async Task OnlyTheConfiguredNumberOfSnapshotsIsKept()
    {
        await using var state = await OpenAsync();
        for (var i = 0; i < 5; i++)
        {
            await _log.AppendAsync(state, TestBatches.Data(1, 0, i));
            await state.TakeSnapshotAsync();
        }
        await state.TakeSnapshotAsync(); // nothing new: no new file

        Assert.Equal([3L, 4L, 5L], state.SnapshotOffsets);
        Assert.Equal(3, Directory.GetFiles(_directory.Path, "*.snapshot").Length);
        state.DeleteSnapshotsBefore(5);
        Assert.Equal([5L], state.SnapshotOffsets);
    }

    [Fact]
    public void SnapshotFormatRejectsTrailingOrMissingBytes()
    {
        var entry = new ProducerStateEntry(9);
        entry.UpdateEpoch(2);
        entry.AddBatch(new BatchMetadata(4, 10, 4, 123));
        var bytes = ProducerStateSnapshot.Encode(11, [entry]);

        var decoded = ProducerStateSnapshot.TryDecode(bytes);
        Assert.NotNull(decoded);
        Assert.Equal(11, decoded.Value.Offset);
        Assert.Equal(new BatchMetadata(4, 10, 4, 123), decoded.Value.Producers.Single().Batch(0));
        Assert.Null(ProducerStateSnapshot.TryDecode(bytes.AsSpan(0, bytes.Length - 1)));
        Assert.Null(ProducerStateSnapshot.TryDecode([.. bytes, 0]));
        BinaryPrimitives.WriteInt16BigEndian(bytes.AsSpan(8), 1); // unknown version (the CRC no longer matches either)
        Assert.Null(ProducerStateSnapshot.TryDecode(bytes));
    }

    private Task<ProducerStateManager> OpenAsync() =>
        ProducerStateManager.OpenAsync(_directory.Path, 0, _log.EndOffset, _log.ReadFrom);
}
