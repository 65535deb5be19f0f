namespace StreamingPipeline.Cli.Tests;

public class TopicsCommandTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly string _dataDirectory = Directory.CreateTempSubdirectory("topics-cli-").FullName;

    [Fact]
    public async Task TopicsCanBeCreatedListedDescribedAndDeletedFromTheCommandLine()
    {
        var port = PipelineProcess.FreePort();
        var bootstrap = $"127.0.0.1:{port}";
        await using var broker = PipelineProcess.Start("broker", "--data-dir", _dataDirectory, "--listen", bootstrap, "--auto-create-topics", "false");
        await broker.WaitForPortAsync(port, Timeout);

        var created = await PipelineProcess.RunAsync(Timeout, "topics", "create", "-b", bootstrap, "-t", "orders", "-p", "3", "--config", "retention.ms=60000");
        var again = await PipelineProcess.RunAsync(Timeout, "topics", "create", "-b", bootstrap, "-t", "orders", "-p", "3");
        var idempotent = await PipelineProcess.RunAsync(Timeout, "topics", "create", "-b", bootstrap, "-t", "orders", "-p", "3", "--if-not-exists");
        var listed = await PipelineProcess.RunAsync(Timeout, "topics", "list", "-b", bootstrap, "-o", "csv");
        var described = await PipelineProcess.RunAsync(Timeout, "topics", "describe", "-b", bootstrap, "-t", "orders", "-o", "json");
        var deleted = await PipelineProcess.RunAsync(Timeout, "topics", "delete", "-b", bootstrap, "-t", "orders");
        var listedAfter = await PipelineProcess.RunAsync(Timeout, "topics", "list", "-b", bootstrap, "-o", "csv");

        Assert.Equal(0, created.ExitCode);
        Assert.NotEqual(0, again.ExitCode);
        Assert.Contains("already exists", again.Error, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, idempotent.ExitCode);
        Assert.Contains("orders,3", listed.Output, StringComparison.Ordinal);
        Assert.Equal(0, described.ExitCode);
        Assert.Contains("\"partition\":2", described.Output, StringComparison.Ordinal);
        Assert.Contains("retention.ms", described.Output, StringComparison.Ordinal);
        Assert.Equal(0, deleted.ExitCode);
        Assert.DoesNotContain("orders", listedAfter.Output, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_dataDirectory, recursive: true);
}
