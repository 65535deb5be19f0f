using System.Buffers.Binary;
using Microsoft.Extensions.Logging.Abstractions;
using StreamingPipeline.Broker.Groups;
using StreamingPipeline.Storage;

namespace StreamingPipeline.Broker.Tests.DurableFiles;

public sealed class OffsetsLogFileTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("offsets-log-file-");

    private string LogPath => Path.Combine(_directory.FullName, OffsetsLog.FileName);

    public void Dispose() => _directory.Delete(recursive: true);

    [Fact]
    public async Task AFileOfVersionOneFramesIsReadAndNewEntriesAreAppendedAsVersionTwo()
    {
        File.WriteAllBytes(LogPath, [.. LegacyFrame(Commit("g", 10)), .. LegacyFrame(new GroupDeletedEntry("old"))]);

        using (var log = await OpenAsync(PhysicalFileSystem.Instance, _ => { }))
        {
            await log.AppendAsync(Frames(Commit("g", 11)), CancellationToken.None);
        }

        var replayed = await ReplayAsync(PhysicalFileSystem.Instance);
        Assert.Equal(["g:10", "deleted:old", "g:11"], replayed);
        var bytes = File.ReadAllBytes(LogPath);
        var lastFrame = bytes.AsSpan(bytes.Length - Frames(Commit("g", 11)).Length);
        Assert.Equal(OffsetsLogCodec.FormatVersion, BinaryPrimitives.ReadInt16BigEndian(lastFrame[8..]));
    }

    [Fact]
    public async Task ATornAppendIsCutOffOnReopen()
    {
        var fileSystem = new FaultInjectingFileSystem();
        using (var log = await OpenAsync(fileSystem, _ => { }))
        {
            await log.AppendAsync(Frames(Commit("g", 1)), CancellationToken.None);
            fileSystem.TearNextWrite(bytesKept: 12);
            await Assert.ThrowsAsync<SimulatedCrashException>(async () => await log.AppendAsync(Frames(Commit("g", 2)), CancellationToken.None));
        }
        fileSystem.Restart();

        Assert.Equal(["g:1"], await ReplayAsync(fileSystem));
        Assert.Equal(Frames(Commit("g", 1)).Length, new FileInfo(LogPath).Length);
    }

    [Fact]
    public async Task AFailedAppendLeavesNoEntryBehind()
    {
        var fileSystem = new FaultInjectingFileSystem();
        using (var log = await OpenAsync(fileSystem, _ => { }))
        {
            await log.AppendAsync(Frames(Commit("g", 1)), CancellationToken.None);
            fileSystem.FailNextWrite();
            await Assert.ThrowsAsync<IOException>(async () => await log.AppendAsync(Frames(Commit("g", 2)), CancellationToken.None));
            await log.AppendAsync(Frames(Commit("g", 3)), CancellationToken.None);
        }

        Assert.Equal(["g:1", "g:3"], await ReplayAsync(fileSystem));
    }

    [Fact]
    public async Task ACrashBetweenTheRewritesRenameAndDirectorySyncKeepsTheOldFile()
    {
        var fileSystem = new FaultInjectingFileSystem();
        using (var log = await OpenAsync(fileSystem, _ => { }))
        {
            await log.AppendAsync(Frames(Commit("g", 1)), CancellationToken.None);
            await log.AppendAsync(Frames(Commit("g", 2)), CancellationToken.None);
            fileSystem.CrashAtNextDirectorySync();
            await Assert.ThrowsAsync<SimulatedCrashException>(() => log.RewriteAsync([Commit("g", 2)], CancellationToken.None));
        }
        fileSystem.Restart();

        Assert.Equal(["g:1", "g:2"], await ReplayAsync(fileSystem));
    }

    [Fact]
    public async Task AnEntryOfAnUnknownVersionIsRefused()
    {
        File.WriteAllBytes(LogPath, ChecksummedFrame.Encode(7, [1, 2, 3]));

        await Assert.ThrowsAsync<InvalidDataException>(() => OpenAsync(PhysicalFileSystem.Instance, _ => { }));
    }

    private static OffsetsCommittedEntry Commit(string group, long offset) =>
        new(group, [new StoredOffset("t", 0, offset, -1, null, 1000)]);

    private static byte[] Frames(OffsetsLogEntry entry)
    {
        var buffer = new OffsetsLogBuffer();
        OffsetsLogCodec.WriteFrame(buffer, entry);
        return buffer.WrittenMemory.ToArray();
    }

    /// <summary>The entry as the broker wrote it before the durable-file kit: a one-byte version 1.</summary>
    private static byte[] LegacyFrame(OffsetsLogEntry entry)
    {
        var current = Frames(entry);
        var covered = new byte[current.Length - ChecksummedFrame.HeaderSize + 1];
        covered[0] = 1;
        current.AsSpan(ChecksummedFrame.HeaderSize).CopyTo(covered.AsSpan(1));
        var frame = new byte[8 + covered.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, 4 + covered.Length);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4), Crc32C.Compute(covered));
        covered.CopyTo(frame.AsSpan(8));
        return frame;
    }

    private Task<OffsetsLog> OpenAsync(IFileSystem fileSystem, Action<OffsetsLogEntry> replay) =>
        OffsetsLog.OpenAsync(_directory.FullName, replay, flushToDiskOnWrite: false, NullLogger.Instance, CancellationToken.None, fileSystem);

    private async Task<List<string>> ReplayAsync(IFileSystem fileSystem)
    {
        var replayed = new List<string>();
        using var log = await OpenAsync(fileSystem, entry => replayed.Add(entry switch
        {
            OffsetsCommittedEntry committed => $"{committed.GroupId}:{committed.Offsets[0].Offset}",
            GroupDeletedEntry deleted => $"deleted:{deleted.GroupId}",
            _ => entry.GetType().Name,
        }));
        return replayed;
    }
}
