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
    public void SnapshotPlusReplayRebuildsTheSameState()
    {
        var scenario = new ProducerScenario(seed: 1);
        string expected;
        using (var state = Open())
        {
            scenario.Run(_log, state, 150);
            state.TakeSnapshot();
            scenario.Run(_log, state, 150);
            expected = ProducerScenario.Describe(state, _log.EndOffset);
        }

        using var reopened = Open();

        Assert.Equal(expected, ProducerScenario.Describe(reopened, _log.EndOffset));
        Assert.Single(reopened.SnapshotOffsets);
    }

    [Fact]
    public void ReplayOfTheWholeLogWithoutASnapshotRebuildsTheSameState()
    {
        var scenario = new ProducerScenario(seed: 2);
        string expected;
        using (var state = Open())
        {
            scenario.Run(_log, state, 200);
            expected = ProducerScenario.Describe(state, _log.EndOffset);
        }
        File.Delete(_directory.Combine(AbortedTransactionIndex.FileName));

        using var reopened = Open();

        Assert.Equal(expected, ProducerScenario.Describe(reopened, _log.EndOffset));
    }

    [Fact]
    public void RetriesOfTheLastFiveBatchesAreStillDuplicatesAfterARestart()
    {
        const long producer = 7;
        var sent = new List<byte[]>();
        using (var state = Open())
        {
            for (var sequence = 0; sequence < 8; sequence++)
            {
                sent.Add(RecordBatchBuilder.HeaderOnly(producer, 0, sequence));
                _log.Append(state, sent[^1]);
            }
            state.TakeSnapshot();
        }

        using var reopened = Open();

        for (var i = 3; i < 8; i++)
        {
            var (check, _) = _log.Append(reopened, sent[i]);
            Assert.True(check.IsDuplicate);
            Assert.Equal(i, check.DuplicateFirstOffset);
        }
        Assert.Equal(8, _log.EndOffset);
    }

    [Fact]
    public void CorruptNewestSnapshotIsDeletedAndTheOlderOneUsed()
    {
        var scenario = new ProducerScenario(seed: 3);
        string expected;
        long newest;
        using (var state = Open())
        {
            scenario.Run(_log, state, 80);
            state.TakeSnapshot();
            scenario.Run(_log, state, 80);
            state.TakeSnapshot();
            newest = state.SnapshotOffsets.Max();
            scenario.Run(_log, state, 40);
            expected = ProducerScenario.Describe(state, _log.EndOffset);
        }
        var newestPath = _directory.Combine($"{newest:D20}.snapshot");
        var bytes = File.ReadAllBytes(newestPath);
        bytes[^3] ^= 0xFF;
        File.WriteAllBytes(newestPath, bytes);

        using var reopened = Open();

        Assert.Equal(expected, ProducerScenario.Describe(reopened, _log.EndOffset));
        Assert.False(File.Exists(newestPath));
        Assert.Single(reopened.SnapshotOffsets);
    }

    [Fact]
    public void TruncatedLogDiscardsLaterSnapshotsAndIndexEntries()
    {
        var scenario = new ProducerScenario(seed: 4);
        using (var state = Open())
        {
            scenario.Run(_log, state, 300);
            state.TakeSnapshot();
        }
        var cut = new RecordBatchHeader(_log.Batches[_log.Batches.Count / 2]).BaseOffset;
        _log.TruncateTo(cut);
        using var freshDirectory = new TempDirectory();
        using var fromScratch = ProducerStateManager.Open(freshDirectory.Path, 0, _log.EndOffset, _log.ReadFrom);

        using var recovered = Open();

        Assert.Empty(recovered.SnapshotOffsets);
        Assert.Equal(ProducerScenario.Describe(fromScratch, cut), ProducerScenario.Describe(recovered, cut));
        Assert.All(recovered.AbortedTransactions.GetAbortedTransactions(0, long.MaxValue), entry => Assert.True(entry.LastOffset < cut));
    }

    [Fact]
    public void LostTailOfTheAbortedIndexIsRebuiltByReplay()
    {
        var scenario = new ProducerScenario(seed: 5);
        long snapshotOffset;
        IReadOnlyList<AbortedTransaction> expected;
        using (var state = Open())
        {
            scenario.Run(_log, state, 150);
            state.TakeSnapshot();
            snapshotOffset = state.MapEndOffset;
            scenario.Run(_log, state, 150);
            expected = state.AbortedTransactions.GetAbortedTransactions(0, long.MaxValue);
        }
        var kept = expected.Count(entry => entry.LastOffset < snapshotOffset);
        Assert.True(expected.Count > kept, "the scenario should abort transactions after the snapshot");
        using (var file = new FileStream(_directory.Combine(AbortedTransactionIndex.FileName), FileMode.Open))
        {
            file.SetLength((kept * 42) + 17); // a whole tail lost, ending in a torn entry
        }

        using var reopened = Open();

        Assert.Equal(expected, reopened.AbortedTransactions.GetAbortedTransactions(0, long.MaxValue));
    }

    [Fact]
    public void OnlyTheConfiguredNumberOfSnapshotsIsKept()
    {
        using var state = Open();
        for (var i = 0; i < 5; i++)
        {
            _log.Append(state, RecordBatchBuilder.HeaderOnly(1, 0, i));
            state.TakeSnapshot();
        }
        state.TakeSnapshot(); // nothing new: no new file

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

    private ProducerStateManager Open() =>
        ProducerStateManager.Open(_directory.Path, 0, _log.EndOffset, _log.ReadFrom);
}
