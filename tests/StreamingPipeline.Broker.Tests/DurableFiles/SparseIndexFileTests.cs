using System.Buffers.Binary;
using StreamingPipeline.Broker.Log;
using StreamingPipeline.Storage;

namespace StreamingPipeline.Broker.Tests.DurableFiles;

public sealed class SparseIndexFileTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("sparse-index-file-");

    private string IndexPath => Path.Combine(_directory.FullName, "00000000000000000100.timeindex");

    public void Dispose() => _directory.Delete(recursive: true);

    [Fact]
    public void PersistedEntriesLoadBack()
    {
        var index = new TimeIndex(IndexPath, 100);
        index.MaybeAppend(1_000, 100);
        index.MaybeAppend(2_000, 150);
        index.Persist(flushToDisk: true);

        var loaded = new TimeIndex(IndexPath, 100);

        Assert.True(loaded.LoadEntries());
        Assert.Equal(2, loaded.Count);
        Assert.Equal(150, loaded.LookupOffset(2_500));
    }

    [Fact]
    public void AVersionOneFileIsRebuiltAndRewrittenInTheCurrentFormat()
    {
        // The pre-kit layout: a 20-byte header starting with the magic, then payload and CRC per entry.
        var legacy = new byte[20 + 16];
        BinaryPrimitives.WriteUInt32BigEndian(legacy, 0x53505449);
        BinaryPrimitives.WriteUInt16BigEndian(legacy.AsSpan(4), 1);
        BinaryPrimitives.WriteUInt16BigEndian(legacy.AsSpan(6), 12);
        BinaryPrimitives.WriteInt64BigEndian(legacy.AsSpan(8), 100);
        BinaryPrimitives.WriteUInt32BigEndian(legacy.AsSpan(16), Crc32C.Compute(legacy.AsSpan(0, 16)));
        File.WriteAllBytes(IndexPath, legacy);
        var index = new TimeIndex(IndexPath, 100);

        Assert.False(index.LoadEntries());
        index.MaybeAppend(1_000, 100);
        index.Persist(flushToDisk: false);

        var reloaded = new TimeIndex(IndexPath, 100);
        Assert.True(reloaded.LoadEntries());
        Assert.Equal(1, reloaded.Count);
        Assert.Equal(SparseIndex<TimeIndexEntry>.HeaderSize + ChecksummedFrame.SizeFor(12), new FileInfo(IndexPath).Length);
    }

    [Fact]
    public void ATornAppendKeepsTheEntriesBeforeIt()
    {
        var fileSystem = new FaultInjectingFileSystem();
        var index = new TimeIndex(IndexPath, 100, fileSystem);
        index.MaybeAppend(1_000, 100);
        index.Persist(flushToDisk: false);
        index.MaybeAppend(2_000, 150);
        index.MaybeAppend(3_000, 170);
        fileSystem.TearNextWrite(bytesKept: ChecksummedFrame.SizeFor(12) + 5);

        Assert.Throws<SimulatedCrashException>(() => index.Persist(flushToDisk: false));
        fileSystem.Restart();

        var reloaded = new TimeIndex(IndexPath, 100, fileSystem);
        Assert.False(reloaded.LoadEntries());
        Assert.Equal(2, reloaded.Count);
        Assert.Equal(150, reloaded.LookupOffset(2_500));
    }

    [Fact]
    public void AFailedWriteLeavesTheFileAsItWas()
    {
        var fileSystem = new FaultInjectingFileSystem();
        var index = new TimeIndex(IndexPath, 100, fileSystem);
        index.MaybeAppend(1_000, 100);
        index.Persist(flushToDisk: false);
        index.MaybeAppend(2_000, 150);
        fileSystem.FailNextWrite();

        Assert.Throws<IOException>(() => index.Persist(flushToDisk: false));

        var reloaded = new TimeIndex(IndexPath, 100, fileSystem);
        Assert.True(reloaded.LoadEntries());
        Assert.Equal(1, reloaded.Count);
        // The writer still has the entry and writes it next time.
        index.Persist(flushToDisk: false);
        var again = new TimeIndex(IndexPath, 100, fileSystem);
        Assert.True(again.LoadEntries());
        Assert.Equal(2, again.Count);
    }

    [Fact]
    public void AHeaderForAnotherSegmentIsNotTrusted()
    {
        var index = new OffsetIndex(IndexPath, 100);
        index.Append(100, 0);
        index.Persist(flushToDisk: false);

        Assert.False(new OffsetIndex(IndexPath, 200).Load(1_000));
    }
}
