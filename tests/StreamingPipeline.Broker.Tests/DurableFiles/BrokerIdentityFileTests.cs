using System.Text;
using StreamingPipeline.Storage;

namespace StreamingPipeline.Broker.Tests.DurableFiles;

public sealed class BrokerIdentityFileTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("meta-properties-");

    private string FilePath => Path.Combine(_directory.FullName, BrokerIdentity.FileName);

    public void Dispose() => _directory.Delete(recursive: true);

    [Fact]
    public void TheClusterIdSurvivesARestartAndTheFileCarriesAChecksum()
    {
        var created = BrokerIdentity.LoadOrCreate(_directory.FullName, 1, configuredClusterId: null);

        var reloaded = BrokerIdentity.LoadOrCreate(_directory.FullName, 1, configuredClusterId: null);

        Assert.Equal(created.ClusterId, reloaded.ClusterId);
        Assert.Matches("^crc32c=[0-9a-f]{8}$", File.ReadAllLines(FilePath)[^1]);
    }

    [Fact]
    public void AFileWithoutAChecksumIsReadAndRewrittenWithOne()
    {
        File.WriteAllText(FilePath, "version=1\ncluster.id=legacy-cluster-id-0001\nnode.id=1\n");

        var identity = BrokerIdentity.LoadOrCreate(_directory.FullName, 1, configuredClusterId: null);

        Assert.Equal("legacy-cluster-id-0001", identity.ClusterId);
        Assert.StartsWith("crc32c=", File.ReadAllLines(FilePath)[^1], StringComparison.Ordinal);
        Assert.Equal("legacy-cluster-id-0001", BrokerIdentity.LoadOrCreate(_directory.FullName, 1, null).ClusterId);
    }

    [Fact]
    public void AFileThatFailsItsChecksumIsRefused()
    {
        BrokerIdentity.LoadOrCreate(_directory.FullName, 1, "cluster-a");
        var text = File.ReadAllText(FilePath).Replace("cluster-a", "cluster-b", StringComparison.Ordinal);
        File.WriteAllBytes(FilePath, Encoding.UTF8.GetBytes(text));

        var error = Assert.Throws<InvalidDataException>(() => BrokerIdentity.LoadOrCreate(_directory.FullName, 1, null));
        Assert.Contains("CRC", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ACrashBeforeTheDirectorySyncOfTheMigrationKeepsTheOldFileReadable()
    {
        File.WriteAllText(FilePath, "version=1\ncluster.id=legacy-cluster-id-0002\nnode.id=1\n");
        var fileSystem = new FaultInjectingFileSystem();
        fileSystem.CrashAtNextDirectorySync();

        Assert.Throws<SimulatedCrashException>(() => BrokerIdentity.LoadOrCreate(_directory.FullName, 1, null, fileSystem));
        fileSystem.Restart();

        Assert.Equal("legacy-cluster-id-0002", BrokerIdentity.LoadOrCreate(_directory.FullName, 1, null, fileSystem).ClusterId);
    }

    [Fact]
    public void ATornFirstWriteLeavesNoFileAndTheNextStartCreatesOne()
    {
        var fileSystem = new FaultInjectingFileSystem();
        fileSystem.TearNextWrite(bytesKept: 5);

        Assert.Throws<SimulatedCrashException>(() => BrokerIdentity.LoadOrCreate(_directory.FullName, 1, "cluster-c", fileSystem));
        fileSystem.Restart();

        Assert.False(File.Exists(FilePath));
        Assert.Equal("cluster-c", BrokerIdentity.LoadOrCreate(_directory.FullName, 1, "cluster-c", fileSystem).ClusterId);
    }
}
