using StreamingPipeline.Cli;
using StreamingPipeline.Cli.Produce;

namespace StreamingPipeline.Events.Tests.Cli;

/// <summary>Runs the real command parser in-process; console redirection is process-wide, so these do not run in parallel.</summary>
[Collection(ConsoleCollection.Name)]
public class ProduceCommandArgumentTests
{
    [Theory]
    [InlineData("--rate", "-5", "--rate must be a positive number")]
    [InlineData("--rate", "0", "--rate must be a positive number")]
    [InlineData("--duplicates", "1.5", "--duplicates must be a share in [0, 1)")]
    [InlineData("--duplicates", "-0.1", "--duplicates must be a share in [0, 1)")]
    [InlineData("--malformed", "2", "--malformed must be a share in [0, 1)")]
    [InlineData("--distribution", "pareto", "pareto")]
    [InlineData("--users", "0", "--users must be at least 1")]
    [InlineData("--skew", "-1", "--skew must be a positive number")]
    [InlineData("--count", "-3", "--count must not be negative")]
    [InlineData("--duration", "soon", "is not a duration")]
    [InlineData("--duplicate-delay", "5h..1s", "minimum first")]
    [InlineData("--duplicate-delay", "0s", "at least 1ms")]
    [InlineData("--event-time-start", "yesterday", "--event-time-start must be")]
    [InlineData("--event-time-speedup", "0", "--event-time-speedup must be a positive number")]
    [InlineData("--config", "novalue", "key=value")]
    public async Task BadArgumentsExitWithUsageErrorAndAReason(string option, string value, string reason)
    {
        var (exitCode, error) = await RunAsync("produce", option, value);

        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SharesThatLeaveNoRoomForEventsAreRefused()
    {
        var (exitCode, error) = await RunAsync("produce", "--duplicates", "0.6", "--malformed", "0.5");

        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Contains("sum below 1", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUnreachableBrokerFailsWithARuntimeErrorNotAUsageError()
    {
        // Port 9 on loopback: nothing listens there, so metadata never arrives and the run gives up.
        var (exitCode, error) = await RunAsync("produce", "-b", "127.0.0.1:9", "--count", "10", "--delivery-timeout", "2s", "-q");

        Assert.Equal(ExitCodes.Failure, exitCode);
        Assert.Contains("127.0.0.1:9", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("30s", 30_000, 30_000)]
    [InlineData("1s..30h", 1_000, 108_000_000)]
    [InlineData(" 500ms .. 2m ", 500, 120_000)]
    public void DelayRangesParse(string text, long minMs, long maxMs)
    {
        Assert.True(ProduceArgumentParsers.TryParseDelay(text, out var delay, out var error), error);
        Assert.Equal((minMs, maxMs), ((long)delay.Min.TotalMilliseconds, (long)delay.Max.TotalMilliseconds));
    }

    [Theory]
    [InlineData("1764000000000", 1764000000000)]
    [InlineData("2025-11-24T16:00:00Z", 1764000000000)]
    [InlineData("2025-11-24T17:00:00+01:00", 1764000000000)]
    [InlineData("now", 1764000000000)]
    public void EventTimeStartsParse(string text, long expected)
    {
        var now = DateTimeOffset.FromUnixTimeMilliseconds(1764000000123);
        Assert.True(ProduceArgumentParsers.TryParseEventTimeStart(text, now, out var ms, out var error), error);
        Assert.Equal(expected, ms);
    }

    private static async Task<(int ExitCode, string Error)> RunAsync(params string[] args)
    {
        var originalError = Console.Error;
        var originalOut = Console.Out;
        var error = new StringWriter();
        Console.SetError(error);
        Console.SetOut(TextWriter.Null);
        try
        {
            var exitCode = await PipelineCli.RunAsync(args);
            return (exitCode, error.ToString());
        }
        finally
        {
            Console.SetError(originalError);
            Console.SetOut(originalOut);
        }
    }
}
