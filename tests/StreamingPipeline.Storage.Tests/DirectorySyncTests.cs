using StreamingPipeline.Storage;

namespace StreamingPipeline.Storage.Tests;

public sealed class DirectorySyncTests
{
    [Fact]
    public void AnExistingDirectoryIsFsyncedOnPosixSystems()
    {
        var dir = Directory.CreateTempSubdirectory("storage-tests-");
        try
        {
            var flushed = DirectorySync.Flush(dir.FullName);

            Assert.Equal(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD(), flushed);
            Assert.False(DirectorySync.Flush(Path.Combine(dir.FullName, "missing")));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
