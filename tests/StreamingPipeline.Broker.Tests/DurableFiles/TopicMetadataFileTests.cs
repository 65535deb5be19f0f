using System.Buffers.Binary;
using System.Text;
using StreamingPipeline.Broker.Log;
using StreamingPipeline.Storage;

namespace StreamingPipeline.Broker.Tests.DurableFiles;

public sealed class TopicMetadataFileTests : IDisposable
{
    private static readonly Guid TopicId = Guid.Parse("6c3f1c9e-47b5-4d8e-9a51-0f3a5b2c7d10");

    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("topic-metadata-file-");

    public void Dispose() => _directory.Delete(recursive: true);

    [Fact]
    public void AWrittenFileReadsBack()
    {
        TopicMetadataFile.Write(_directory.FullName, Contents(3, "delete"));

        var read = TopicMetadataFile.Read(TopicMetadataFile.PathFor(_directory.FullName, "orders"));

        Assert.Equal(("orders", TopicId, 3), (read.Name, read.TopicId, read.PartitionCount));
        Assert.Equal("delete", read.Overrides["cleanup.policy"]);
    }

    [Fact]
    public void AVersionOneFileIsStillRead()
    {
        var payload = Encoding.UTF8.GetBytes($$$"""{"name":"orders","topicId":"{{{TopicId}}}","partitions":4,"configs":{"retention.ms":"1000"}}""");
        var bytes = new byte[10 + payload.Length + 4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, 0x5350544D);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(4), 1);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(6), payload.Length);
        payload.CopyTo(bytes.AsSpan(10));
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(10 + payload.Length), Crc32C.Compute(bytes.AsSpan(0, 10 + payload.Length)));
        var path = TopicMetadataFile.PathFor(_directory.FullName, "orders");
        File.WriteAllBytes(path, bytes);

        var read = TopicMetadataFile.Read(path);

        Assert.Equal(4, read.PartitionCount);
        Assert.Equal("1000", read.Overrides["retention.ms"]);
        bytes[12] ^= 1;
        File.WriteAllBytes(path, bytes);
        Assert.Throws<InvalidDataException>(() => TopicMetadataFile.Read(path));
    }

    [Fact]
    public void AFailedWriteKeepsTheOldFile() =>
        AssertOldContentSurvives(fileSystem => fileSystem.FailNextWrite(), expectCrash: false);

    [Fact]
    public void ATornWriteKeepsTheOldFile() =>
        AssertOldContentSurvives(fileSystem => fileSystem.TearNextWrite(bytesKept: 20), expectCrash: true);

    [Fact]
    public void ACrashBetweenRenameAndDirectorySyncKeepsTheOldFile() =>
        AssertOldContentSurvives(fileSystem => fileSystem.CrashAtNextDirectorySync(), expectCrash: true);

    private static TopicMetadataFile.Contents Contents(int partitions, string cleanupPolicy) =>
        new("orders", TopicId, partitions, new Dictionary<string, string> { ["cleanup.policy"] = cleanupPolicy });

    private void AssertOldContentSurvives(Action<FaultInjectingFileSystem> injectFault, bool expectCrash)
    {
        var fileSystem = new FaultInjectingFileSystem();
        TopicMetadataFile.Write(_directory.FullName, Contents(3, "delete"), fileSystem);
        injectFault(fileSystem);

        var error = Assert.ThrowsAny<IOException>(() => TopicMetadataFile.Write(_directory.FullName, Contents(3, "compact"), fileSystem));
        Assert.Equal(expectCrash, error is SimulatedCrashException);
        fileSystem.Restart();

        var read = TopicMetadataFile.Read(TopicMetadataFile.PathFor(_directory.FullName, "orders"), fileSystem);
        Assert.Equal("delete", read.Overrides["cleanup.policy"]);
    }
}
