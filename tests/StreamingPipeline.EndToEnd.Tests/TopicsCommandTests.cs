namespace StreamingPipeline.EndToEnd.Tests;

/// <summary>The `pipeline topics` commands, each its own process, against `pipeline broker` in another.</summary>
public class TopicsCommandTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _dataDirectory = new("topics-cli-");

    [Fact]
    public async Task TopicsCanBeCreatedListedDescribedAndDeletedFromTheCommandLine()
    {
        await using var broker = await BrokerProcess.StartAsync(_dataDirectory.Path, arguments: ["--auto-create-topics", "false"]);
        var bootstrap = broker.BootstrapServers;

        var created = await ChildProcess.RunPipelineAsync(Timeout, "topics", "create", "-b", bootstrap, "-t", "orders", "-p", "3", "--config", "retention.ms=60000");
        var again = await ChildProcess.RunPipelineAsync(Timeout, "topics", "create", "-b", bootstrap, "-t", "orders", "-p", "3");
        var idempotent = await ChildProcess.RunPipelineAsync(Timeout, "topics", "create", "-b", bootstrap, "-t", "orders", "-p", "3", "--if-not-exists");
        var listed = await ChildProcess.RunPipelineAsync(Timeout, "topics", "list", "-b", bootstrap, "-o", "csv");
        var described = await ChildProcess.RunPipelineAsync(Timeout, "topics", "describe", "-b", bootstrap, "-t", "orders", "-o", "json");
        var deleted = await ChildProcess.RunPipelineAsync(Timeout, "topics", "delete", "-b", bootstrap, "-t", "orders");
        var listedAfter = await ChildProcess.RunPipelineAsync(Timeout, "topics", "list", "-b", bootstrap, "-o", "csv");

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

    public void Dispose() => _dataDirectory.Dispose();
}
