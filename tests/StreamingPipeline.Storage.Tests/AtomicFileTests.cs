namespace StreamingPipeline.Storage.Tests;

public sealed class AtomicFileTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("storage-atomic-");

    private string FilePath => Path.Combine(_directory.FullName, "state");

    public void Dispose() => _directory.Delete(recursive: true);

    [Fact]
    public void ARecordReadsBackAndAMissingFileReadsAsNull()
    {
        Assert.Null(AtomicFile.ReadRecord(PhysicalFileSystem.Instance, FilePath));

        AtomicFile.WriteRecord(PhysicalFileSystem.Instance, FilePath, 3, "first"u8);
        AtomicFile.WriteRecord(PhysicalFileSystem.Instance, FilePath, 4, "second"u8);

        var record = AtomicFile.ReadRecord(PhysicalFileSystem.Instance, FilePath);
        Assert.Equal(4, record!.Value.Version);
        Assert.Equal("second"u8.ToArray(), record.Value.Payload.ToArray());
        Assert.False(File.Exists(AtomicFile.TemporaryPathFor(FilePath)));
    }

    [Fact]
    public async Task AWriteIsFsyncedRenamedAndItsDirectoryFsynced()
    {
        var fileSystem = new FaultInjectingFileSystem();

        await AtomicFile.WriteRecordAsync(fileSystem, FilePath, 1, "x"u8);

        Assert.Equal(1, fileSystem.FileFlushCount);
        Assert.Equal(1, fileSystem.RenameCount);
        Assert.Equal(1, fileSystem.DirectorySyncCount);
        Assert.Equal("x"u8.ToArray(), (await AtomicFile.ReadRecordAsync(fileSystem, FilePath))!.Value.Payload.ToArray());
    }

    [Fact]
    public void AFailedWriteLeavesTheOldContent()
    {
        var fileSystem = new FaultInjectingFileSystem();
        AtomicFile.WriteRecord(fileSystem, FilePath, 1, "old"u8);
        fileSystem.FailNextWrite();

        Assert.Throws<IOException>(() => AtomicFile.WriteRecord(fileSystem, FilePath, 1, "new"u8));

        Assert.Equal("old"u8.ToArray(), AtomicFile.ReadRecord(fileSystem, FilePath)!.Value.Payload.ToArray());
        Assert.False(File.Exists(AtomicFile.TemporaryPathFor(FilePath)));
    }

    [Fact]
    public void ATornWriteLeavesTheOldContent()
    {
        var fileSystem = new FaultInjectingFileSystem();
        AtomicFile.WriteRecord(fileSystem, FilePath, 1, "old"u8);
        fileSystem.TearNextWrite(bytesKept: 6);

        Assert.Throws<SimulatedCrashException>(() => AtomicFile.WriteRecord(fileSystem, FilePath, 1, "new content"u8));
        fileSystem.Restart();

        Assert.Equal("old"u8.ToArray(), AtomicFile.ReadRecord(fileSystem, FilePath)!.Value.Payload.ToArray());
    }

    [Fact]
    public void ACrashBetweenRenameAndDirectorySyncLeavesTheOldContent()
    {
        var fileSystem = new FaultInjectingFileSystem();
        AtomicFile.WriteRecord(fileSystem, FilePath, 1, "old"u8);
        fileSystem.CrashAtNextDirectorySync();

        Assert.Throws<SimulatedCrashException>(() => AtomicFile.WriteRecord(fileSystem, FilePath, 1, "new"u8));
        fileSystem.Restart();

        Assert.Equal("old"u8.ToArray(), AtomicFile.ReadRecord(fileSystem, FilePath)!.Value.Payload.ToArray());
        // The next write replaces the leftover temporary file and succeeds.
        AtomicFile.WriteRecord(fileSystem, FilePath, 1, "newer"u8);
        Assert.Equal("newer"u8.ToArray(), AtomicFile.ReadRecord(fileSystem, FilePath)!.Value.Payload.ToArray());
    }

    [Fact]
    public void ACrashBeforeTheFirstDirectorySyncLeavesNoFile()
    {
        var fileSystem = new FaultInjectingFileSystem();
        fileSystem.CrashAtNextDirectorySync();

        Assert.Throws<SimulatedCrashException>(() => AtomicFile.WriteRecord(fileSystem, FilePath, 1, "new"u8));
        fileSystem.Restart();

        Assert.Null(AtomicFile.ReadRecord(fileSystem, FilePath));
    }

    [Fact]
    public void ADamagedFileIsAnErrorNamingIt()
    {
        AtomicFile.WriteRecord(PhysicalFileSystem.Instance, FilePath, 1, "content"u8);
        var bytes = File.ReadAllBytes(FilePath);
        bytes[^1] ^= 1;
        File.WriteAllBytes(FilePath, bytes);

        var error = Assert.Throws<InvalidDataException>(() => AtomicFile.ReadRecord(PhysicalFileSystem.Instance, FilePath));
        Assert.Contains(FilePath, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ALongFileNameGetsAShortTemporaryNameInTheSameDirectory()
    {
        var path = Path.Combine(_directory.FullName, new string('t', 249) + ".topic");

        var temporary = AtomicFile.TemporaryPathFor(path);

        Assert.Equal(_directory.FullName, Path.GetDirectoryName(temporary));
        Assert.True(Path.GetFileName(temporary).Length < 20);
        AtomicFile.Replace(PhysicalFileSystem.Instance, path, "x"u8);
        Assert.Equal("x"u8.ToArray(), File.ReadAllBytes(path));
    }
}
