using System.Buffers.Binary;
using System.IO.Hashing;
using StreamingPipeline.Events.Generation;
using StreamingPipeline.Storage;

namespace StreamingPipeline.Events.Tests.Generation;

public sealed class TruthFileTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("truth-file-");

    private string FilePath => Path.Combine(_directory.FullName, "truth.bin");

    public void Dispose() => _directory.Delete(recursive: true);

    [Fact]
    public void EntriesAcrossSeveralFramesReadBackInOrder()
    {
        var ids = Enumerable.Range(0, TruthFile.EntriesPerFrame + 10).Select(_ => Guid.NewGuid()).ToList();
        using (var writer = TruthFile.Create(FilePath))
        {
            foreach (var id in ids)
            {
                writer.Write(id, TruthExpectation.Once);
            }
        }

        Assert.Equal(ids, TruthFile.Read(FilePath).Select(e => e.EventId));
    }

    [Fact]
    public void AVersionOneFileWithCrc32IsStillRead()
    {
        var id = Guid.NewGuid();
        var entry = new byte[17];
        id.TryWriteBytes(entry, bigEndian: true, out _);
        entry[16] = (byte)TruthExpectation.Twice;
        var trailer = new byte[12];
        BinaryPrimitives.WriteInt64BigEndian(trailer, 1);
        BinaryPrimitives.WriteUInt32BigEndian(trailer.AsSpan(8), Crc32.HashToUInt32(entry));
        File.WriteAllBytes(FilePath, [.. "SPTRUTH"u8, 1, .. entry, .. trailer]);

        var read = Assert.Single(TruthFile.Read(FilePath));

        Assert.Equal((id, TruthExpectation.Twice), (read.EventId, read.Expectation));
    }

    [Fact]
    public void AFileCutAtAFrameBoundaryIsDetected()
    {
        using (var writer = TruthFile.Create(FilePath))
        {
            writer.Write(Guid.NewGuid(), TruthExpectation.Once);
        }
        var bytes = File.ReadAllBytes(FilePath);
        File.WriteAllBytes(FilePath, bytes[..^ChecksummedFrame.SizeFor(9)]);

        Assert.Throws<InvalidDataException>(() => TruthFile.Read(FilePath).ToList());
    }

    [Fact]
    public void ATornWriteIsDetected()
    {
        var fileSystem = new FaultInjectingFileSystem();
        var writer = TruthFile.Create(fileSystem, FilePath);
        for (var i = 1; i < TruthFile.EntriesPerFrame; i++)
        {
            writer.Write(Guid.NewGuid(), TruthExpectation.Once);
        }
        fileSystem.TearNextWrite(bytesKept: 100);
        // The entry that fills a frame writes it.
        Assert.Throws<SimulatedCrashException>(() => writer.Write(Guid.NewGuid(), TruthExpectation.Once));
        Assert.Throws<SimulatedCrashException>(writer.Dispose);
        fileSystem.Restart();

        Assert.Throws<InvalidDataException>(() => TruthFile.Read(fileSystem, FilePath).ToList());
    }

    [Fact]
    public void AFailedWriteSurfacesToTheWriter()
    {
        var fileSystem = new FaultInjectingFileSystem();
        var writer = TruthFile.Create(fileSystem, FilePath);
        writer.Write(Guid.NewGuid(), TruthExpectation.Once);
        fileSystem.FailNextWrite();

        Assert.Throws<IOException>(writer.Dispose);
    }
}
