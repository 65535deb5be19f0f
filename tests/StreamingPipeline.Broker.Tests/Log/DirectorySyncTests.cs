using StreamingPipeline.Broker.Log;

namespace StreamingPipeline.Broker.Tests.Log;

public sealed class DirectorySyncTests
{
    [Fact]
    public void AnExistingDirectoryIsFsyncedOnPosixSystems()
    {
        using var dir = new TempDirectory();

        var flushed = DirectorySync.Flush(dir.Path);

        Assert.Equal(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD(), flushed);
        Assert.False(DirectorySync.Flush(Path.Combine(dir.Path, "missing")));
    }
}
