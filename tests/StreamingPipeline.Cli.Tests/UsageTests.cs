namespace StreamingPipeline.Cli.Tests;

public class UsageTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData("broker", "--listen", "nonsense")]
    [InlineData("broker", "--partitions", "0")]
    [InlineData("broker", "--flush", "sometimes")]
    [InlineData("broker", "--retention", "forever")]
    [InlineData("topics", "create", "--partitions", "3")]
    [InlineData("topics", "create", "-t", "x", "--partitions", "-1")]
    [InlineData("topics", "create", "-t", "x", "--config", "novalue")]
    [InlineData("no-such-command")]
    [InlineData("up", "--listen", "127.0.0.1:70000")]
    public async Task BadArgumentsExitWithTwoAndSayWhy(params string[] args)
    {
        var (exitCode, _, error) = await ChildProcess.RunPipelineAsync(Timeout, args);

        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.StartsWith("error: ", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("broker", "--help")]
    [InlineData("topics", "create", "--help")]
    public async Task HelpDescribesTheCommandAndExitsZero(params string[] args)
    {
        var (exitCode, output, _) = await ChildProcess.RunPipelineAsync(Timeout, args);

        Assert.Equal(ExitCodes.Ok, exitCode);
        Assert.Contains("Usage:", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ACommandGroupWithoutAVerbShowsItsHelp()
    {
        var (exitCode, output, _) = await ChildProcess.RunPipelineAsync(Timeout, "topics");

        Assert.Equal(ExitCodes.Ok, exitCode);
        Assert.Contains("create", output, StringComparison.Ordinal);
        Assert.Contains("describe", output, StringComparison.Ordinal);
    }
}
