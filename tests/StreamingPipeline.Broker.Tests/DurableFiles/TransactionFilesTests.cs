using System.Collections.Immutable;
using StreamingPipeline.Broker.Transactions;
using StreamingPipeline.Storage;

namespace StreamingPipeline.Broker.Tests.DurableFiles;

public sealed class TransactionFilesTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("transaction-files-");

    public void Dispose() => _directory.Delete(recursive: true);

    [Fact]
    public async Task ATornTransactionLogAppendLosesOnlyThatEntry()
    {
        var fileSystem = new FaultInjectingFileSystem();
        var (log, _) = await OpenLogAsync(fileSystem);
        await log.AppendAsync(Metadata("a", TransactionState.Ongoing));
        fileSystem.TearNextWrite(bytesKept: 9);
        await Assert.ThrowsAsync<SimulatedCrashException>(async () => await log.AppendAsync(Metadata("a", TransactionState.PrepareCommit)));
        await log.DisposeAsync();
        fileSystem.Restart();

        var (reopened, state) = await OpenLogAsync(fileSystem);
        await reopened.DisposeAsync();

        Assert.Equal(TransactionState.Ongoing, state["a"].State);
    }

    [Fact]
    public async Task AFailedTransactionLogAppendIsNotReplayed()
    {
        var fileSystem = new FaultInjectingFileSystem();
        var (log, _) = await OpenLogAsync(fileSystem);
        await log.AppendAsync(Metadata("a", TransactionState.Ongoing));
        fileSystem.FailNextWrite();
        await Assert.ThrowsAsync<IOException>(async () => await log.AppendAsync(Metadata("a", TransactionState.PrepareCommit)));
        await log.AppendAsync(Metadata("b", TransactionState.Empty));
        await log.DisposeAsync();

        var (reopened, state) = await OpenLogAsync(fileSystem);
        await reopened.DisposeAsync();

        Assert.Equal(TransactionState.Ongoing, state["a"].State);
        Assert.Equal(TransactionState.Empty, state["b"].State);
    }

    [Fact]
    public async Task ACrashBetweenTheCompactionsRenameAndDirectorySyncKeepsEveryState()
    {
        var fileSystem = new FaultInjectingFileSystem();
        var (log, _) = await OpenLogAsync(fileSystem);
        await log.AppendAsync(Metadata("a", TransactionState.Ongoing));
        await log.AppendAsync(Metadata("a", TransactionState.PrepareAbort));
        fileSystem.CrashAtNextDirectorySync();
        await Assert.ThrowsAsync<SimulatedCrashException>(async () => await log.CompactAsync([Metadata("a", TransactionState.PrepareAbort)]));
        await log.DisposeAsync();
        fileSystem.Restart();

        var (reopened, state) = await OpenLogAsync(fileSystem);
        await reopened.DisposeAsync();

        Assert.Equal(TransactionState.PrepareAbort, state["a"].State);
    }

    [Fact]
    public async Task ACrashBeforeABlockReservationIsDurableHandsOutNoIdFromThatBlock()
    {
        var fileSystem = new FaultInjectingFileSystem();
        using (var manager = await ProducerIdManager.OpenAsync(_directory.FullName, blockSize: 10, fileSystem: fileSystem))
        {
            for (var i = 0; i < 10; i++)
            {
                Assert.Equal(i, await manager.NextProducerIdAsync());
            }
            fileSystem.CrashAtNextDirectorySync();
            await Assert.ThrowsAsync<SimulatedCrashException>(async () => await manager.NextProducerIdAsync());
        }
        fileSystem.Restart();

        using var restarted = await ProducerIdManager.OpenAsync(_directory.FullName, blockSize: 10, fileSystem: fileSystem);
        Assert.Equal(10, await restarted.NextProducerIdAsync());
    }

    [Fact]
    public async Task ADamagedBlockFileIsRefusedRatherThanReusingIds()
    {
        using (var manager = await ProducerIdManager.OpenAsync(_directory.FullName, blockSize: 10))
        {
            await manager.NextProducerIdAsync();
        }
        var path = Path.Combine(_directory.FullName, ProducerIdManager.FileName);
        var bytes = File.ReadAllBytes(path);
        bytes[^1] ^= 1;
        File.WriteAllBytes(path, bytes);

        await Assert.ThrowsAsync<InvalidDataException>(() => ProducerIdManager.OpenAsync(_directory.FullName, blockSize: 10));
    }

    private static TransactionMetadata Metadata(string id, TransactionState state) =>
        new(id, 42, -1, 3, 2, 60_000, state, [], ImmutableHashSet.Create<string>(StringComparer.Ordinal), 1_000, 2_000);

    private Task<(TransactionLog Log, Dictionary<string, TransactionMetadata> State)> OpenLogAsync(IFileSystem fileSystem) =>
        TransactionLog.OpenAsync(_directory.FullName, flushToDisk: false, CancellationToken.None, fileSystem);
}
