namespace StreamingPipeline.Storage.Tests;

public sealed class FramedLogTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("storage-log-");

    private string LogPath => Path.Combine(_directory.FullName, "entries.log");

    public void Dispose() => _directory.Delete(recursive: true);

    [Fact]
    public async Task AppendedFramesAreReplayedInOrderOnOpen()
    {
        using (var log = await FramedLog.OpenAsync(PhysicalFileSystem.Instance, LogPath, (_, _) => { }))
        {
            await log.AppendAsync(1, "a"u8.ToArray());
            await log.AppendAsync(2, "bb"u8.ToArray());
            Assert.Equal(ChecksummedFrame.SizeFor(1) + ChecksummedFrame.SizeFor(2), log.Length);
        }

        var (replayed, reopened) = await OpenAndCollectAsync(PhysicalFileSystem.Instance);
        using (reopened)
        {
            Assert.Equal(["1:a", "2:bb"], replayed);
            Assert.Equal(0, reopened.TruncatedBytes);
        }
    }

    [Fact]
    public async Task ATornTailIsCutOffOnOpenAndLaterAppendsFollowTheLastWholeFrame()
    {
        var fileSystem = new FaultInjectingFileSystem();
        using (var log = await FramedLog.OpenAsync(fileSystem, LogPath, (_, _) => { }))
        {
            await log.AppendAsync(1, "kept"u8.ToArray());
            fileSystem.TearNextWrite(bytesKept: 7);
            await Assert.ThrowsAsync<SimulatedCrashException>(async () => await log.AppendAsync(1, "torn"u8.ToArray()));
        }
        fileSystem.Restart();

        var (replayed, reopened) = await OpenAndCollectAsync(fileSystem);
        using (reopened)
        {
            Assert.Equal(["1:kept"], replayed);
            Assert.Equal(7, reopened.TruncatedBytes);
            await reopened.AppendAsync(1, "after"u8.ToArray());
        }
        var (again, last) = await OpenAndCollectAsync(fileSystem);
        last.Dispose();
        Assert.Equal(["1:kept", "1:after"], again);
    }

    [Fact]
    public async Task AFailedAppendLeavesNothingBehindAndTheLogGoesOn()
    {
        var fileSystem = new FaultInjectingFileSystem();
        using (var log = await FramedLog.OpenAsync(fileSystem, LogPath, (_, _) => { }))
        {
            await log.AppendAsync(1, "one"u8.ToArray());
            fileSystem.FailNextWrite();
            await Assert.ThrowsAsync<IOException>(async () => await log.AppendAsync(1, "lost"u8.ToArray()));
            await log.AppendAsync(1, "two"u8.ToArray());
        }

        var (replayed, reopened) = await OpenAndCollectAsync(fileSystem);
        reopened.Dispose();
        Assert.Equal(["1:one", "1:two"], replayed);
    }

    [Fact]
    public async Task ACorruptFrameEndsTheReplayThere()
    {
        using (var log = await FramedLog.OpenAsync(PhysicalFileSystem.Instance, LogPath, (_, _) => { }))
        {
            await log.AppendAsync(1, "a"u8.ToArray());
            await log.AppendAsync(1, "b"u8.ToArray());
            await log.AppendAsync(1, "c"u8.ToArray());
        }
        var bytes = File.ReadAllBytes(LogPath);
        bytes[ChecksummedFrame.SizeFor(1) + ChecksummedFrame.HeaderSize] ^= 0xFF;
        File.WriteAllBytes(LogPath, bytes);

        var (replayed, reopened) = await OpenAndCollectAsync(PhysicalFileSystem.Instance);
        reopened.Dispose();

        Assert.Equal(["1:a"], replayed);
        Assert.Equal(ChecksummedFrame.SizeFor(1), new FileInfo(LogPath).Length);
    }

    [Fact]
    public async Task EveryAppendIsFsyncedOnlyUnderThatPolicy()
    {
        var fileSystem = new FaultInjectingFileSystem();
        using (var log = await FramedLog.OpenAsync(fileSystem, LogPath, (_, _) => { }, FsyncPolicy.OnFlush))
        {
            await log.AppendAsync(1, "a"u8.ToArray());
            Assert.Equal(0, fileSystem.FileFlushCount);
            log.FlushToDisk();
            Assert.Equal(1, fileSystem.FileFlushCount);
        }
        using (var log = await FramedLog.OpenAsync(fileSystem, LogPath, (_, _) => { }, FsyncPolicy.EveryAppend))
        {
            await log.AppendAsync(1, "b"u8.ToArray());
            await log.AppendAsync(1, "c"u8.ToArray());
            Assert.Equal(3, fileSystem.FileFlushCount);
        }
    }

    [Fact]
    public async Task ARewriteReplacesTheContentAndAppendsContinueAfterIt()
    {
        using (var log = await FramedLog.OpenAsync(PhysicalFileSystem.Instance, LogPath, (_, _) => { }))
        {
            await log.AppendAsync(1, "a"u8.ToArray());
            await log.AppendAsync(1, "b"u8.ToArray());
            await log.RewriteAsync([ChecksummedFrame.Encode(1, "compacted"u8)]);
            Assert.Equal(ChecksummedFrame.SizeFor(9), log.Length);
            await log.AppendAsync(1, "c"u8.ToArray());
        }

        var (replayed, reopened) = await OpenAndCollectAsync(PhysicalFileSystem.Instance);
        reopened.Dispose();
        Assert.Equal(["1:compacted", "1:c"], replayed);
    }

    [Fact]
    public async Task ACrashBetweenTheRewritesRenameAndDirectorySyncLeavesTheOldLog()
    {
        var fileSystem = new FaultInjectingFileSystem();
        using (var log = await FramedLog.OpenAsync(fileSystem, LogPath, (_, _) => { }))
        {
            await log.AppendAsync(1, "a"u8.ToArray());
            await log.AppendAsync(1, "b"u8.ToArray());
            fileSystem.CrashAtNextDirectorySync();
            await Assert.ThrowsAsync<SimulatedCrashException>(() => log.RewriteAsync([ChecksummedFrame.Encode(1, "compacted"u8)]));
        }
        fileSystem.Restart();

        var (replayed, reopened) = await OpenAndCollectAsync(fileSystem);
        reopened.Dispose();
        Assert.Equal(["1:a", "1:b"], replayed);
        Assert.False(File.Exists(AtomicFile.TemporaryPathFor(LogPath)));
    }

    [Fact]
    public async Task AFrameLargerThanOneReadChunkIsReplayed()
    {
        var big = new byte[200_000];
        new Random(5).NextBytes(big);
        using (var log = await FramedLog.OpenAsync(PhysicalFileSystem.Instance, LogPath, (_, _) => { }))
        {
            await log.AppendAsync(1, "small"u8.ToArray());
            await log.AppendAsync(2, big);
            await log.AppendAsync(1, "end"u8.ToArray());
        }

        var payloads = new List<byte[]>();
        using var reopened = await FramedLog.OpenAsync(PhysicalFileSystem.Instance, LogPath, (_, payload) => payloads.Add(payload.ToArray()));

        Assert.Equal(3, payloads.Count);
        Assert.Equal(big, payloads[1]);
    }

    [Fact]
    public async Task AnExceptionFromReplayClosesTheFile()
    {
        using (var log = await FramedLog.OpenAsync(PhysicalFileSystem.Instance, LogPath, (_, _) => { }))
        {
            await log.AppendAsync(9, "x"u8.ToArray());
        }

        await Assert.ThrowsAsync<InvalidDataException>(() => FramedLog.OpenAsync(
            PhysicalFileSystem.Instance, LogPath, (version, _) => throw new InvalidDataException($"version {version}")));

        using var reopened = await FramedLog.OpenAsync(PhysicalFileSystem.Instance, LogPath, (_, _) => { });
    }

    private async Task<(List<string> Replayed, FramedLog Log)> OpenAndCollectAsync(IFileSystem fileSystem)
    {
        var replayed = new List<string>();
        var log = await FramedLog.OpenAsync(fileSystem, LogPath, (version, payload) => replayed.Add($"{version}:{System.Text.Encoding.UTF8.GetString(payload)}"));
        return (replayed, log);
    }
}
