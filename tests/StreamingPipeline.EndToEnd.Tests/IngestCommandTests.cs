namespace StreamingPipeline.EndToEnd.Tests;

/// <summary>`pipeline ingest`'s command line: usage errors exit 2, runtime failures exit 3, each with one line.</summary>
public sealed class IngestCommandTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task An_unknown_store_is_a_usage_error()
    {
        var result = await ChildProcess.RunPipelineAsync(Timeout, "ingest", "--store", "mysql://localhost/db");
        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("error: --store: unknown store 'mysql://localhost/db'", result.Error, StringComparison.Ordinal);
        Assert.Single(result.Error.Trim().Split('\n'));
    }

    [Fact]
    public async Task Bad_partitions_are_a_usage_error()
    {
        var result = await ChildProcess.RunPipelineAsync(Timeout, "ingest", "--partitions", "3-1");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--partitions", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_broker_is_a_one_line_runtime_error()
    {
        var port = LoopbackPort.Free();
        var result = await ChildProcess.RunPipelineAsync(Timeout, "ingest", "-b", $"127.0.0.1:{port}", "--store", "duckdb:/nonexistent/never-created.duckdb");
        Assert.Equal(3, result.ExitCode);
        Assert.StartsWith($"error: cannot reach a Kafka broker at 127.0.0.1:{port}", result.Error, StringComparison.Ordinal);
        Assert.Single(result.Error.Trim().Split('\n'));
    }
}
