using System.Text.RegularExpressions;

namespace StreamingPipeline.Cli.Tests;

public sealed partial class LogOutputTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Log_lines_name_the_component_without_numeric_event_ids()
    {
        using var dir = new TempDirectory();
        var port = LoopbackPort.Free();
        await using var broker = ChildProcess.StartPipeline("broker", "--data-dir", dir.Path, "--listen", $"127.0.0.1:{port}");
        await broker.WaitForPortAsync(port, Timeout);
        await Eventually.TrueAsync(() => broker.Output.Contains("Broker listening", StringComparison.Ordinal), "the listening line", Timeout);

        var line = broker.OutputLines.First(l => l.Contains("Broker listening", StringComparison.Ordinal));
        Assert.Matches(LogLine(), line);
        Assert.DoesNotMatch(EventId(), broker.Output);
    }

    [Fact]
    public async Task Quiet_broker_logs_nothing_at_information_level()
    {
        using var dir = new TempDirectory();
        var port = LoopbackPort.Free();
        await using var broker = ChildProcess.StartPipeline("broker", "--data-dir", dir.Path, "--listen", $"127.0.0.1:{port}", "-q");
        await broker.WaitForPortAsync(port, Timeout);
        await broker.InterruptAsync();
        await broker.WaitForExitAsync(Timeout);

        Assert.Equal("", broker.Output.Trim());
    }

    [Fact]
    public async Task Help_shows_defaults_as_users_write_them()
    {
        var help = await ChildProcess.RunPipelineAsync(Timeout, "broker", "--help");

        Assert.Contains("[default: 7d]", help.Output, StringComparison.Ordinal);
        Assert.Contains("[default: 1GiB]", help.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("7.00:00:00", help.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("1073741824", help.Output, StringComparison.Ordinal);
    }

    // "12:34:56.789 info pipeline.broker: Broker listening on ..."
    [GeneratedRegex(@"^\d\d:\d\d:\d\d\.\d{3} info pipeline\.broker: Broker listening on 127\.0\.0\.1:\d+")]
    private static partial Regex LogLine();

    [GeneratedRegex(@"\w\[\d+\]")]
    private static partial Regex EventId();
}
