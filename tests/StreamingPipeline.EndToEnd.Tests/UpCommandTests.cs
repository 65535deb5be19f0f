using System.Globalization;

namespace StreamingPipeline.EndToEnd.Tests;

/// <summary>The README's first command: the embedded pipeline starts, events flow, Ctrl+C stops it cleanly.</summary>
public class UpCommandTests : IDisposable
{
    private readonly TempDirectory _dataDirectory = new("pipeline-up-");

    [Fact]
    public async Task UpStartsTheBrokerWithThePipelineTopicsFeedsTheGeneratorAndStopsOnSigint()
    {
        var port = LoopbackPort.Free();
        await using var up = ChildProcess.StartPipeline("up", "--data-dir", _dataDirectory.Path, "--listen", $"127.0.0.1:{port}", "--query-listen", "127.0.0.1:0", "--rate", "500");
        await up.WaitForPortAsync(port, TimeSpan.FromSeconds(60));

        using var consumer = KafkaClients.Consumer($"127.0.0.1:{port}", "up-check");
        consumer.Subscribe("input-user-events");
        var first = KafkaClients.ConsumeExactly(consumer, 1, TimeSpan.FromSeconds(60)).SingleOrDefault();
        var topics = consumer.Assignment.Select(tp => tp.Topic).Distinct().ToList();
        consumer.Close();

        await up.InterruptAsync();
        var exitCode = await up.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.NotNull(first);
        Assert.Contains("\"eventId\"", first.Message.Value, StringComparison.Ordinal);
        Assert.Equal(["input-user-events"], topics);
        Assert.Equal(0, exitCode);
        Assert.True(Directory.Exists(_dataDirectory.Combine("broker", "topics", "output-user-events-0")));
        Assert.True(Directory.Exists(_dataDirectory.Combine("broker", "topics", "user-events-dlq-0")));
    }

    [Fact]
    public async Task UpPrintsItsStatusEveryFewSecondsWhenRedirectedAndWhatItRecoveredOnRestart()
    {
        var port = LoopbackPort.Free();
        string[] args = ["up", "--data-dir", _dataDirectory.Path, "--listen", $"127.0.0.1:{port}", "--query-listen", "127.0.0.1:0", "--rate", "200"];
        await using (var first = ChildProcess.StartPipeline(args))
        {
            // A status line once rows reached the store: every figure is there and the store has rows.
            await Eventually.TrueAsync(() => StatusLines(first).Any(l => !l.EndsWith("store=0 rows", StringComparison.Ordinal)), "up printed a status line with rows in the store", TimeSpan.FromMinutes(2));
            await first.InterruptAsync();
            Assert.Equal(0, await first.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            var line = StatusLines(first).Last();
            Assert.Matches(@"^up \d+m\d\ds: input-user-events=\d+/s\(end [\d,]+\) output-user-events=\d+/s\(end [\d,]+\) user-events-dlq=\d+/s\(end [\d,]+\) \| dedup lag=\d+ dropped=\d+ dlq=\d+ \| ingest lag=\d+ rows=\d+/s \| store=[\d,]+ rows", line);
            Assert.DoesNotContain("recovered:", first.Error, StringComparison.Ordinal);
        }

        await using var second = ChildProcess.StartPipeline(args);
        await Eventually.TrueAsync(() => second.Error.Contains("recovered: input-user-events ", StringComparison.Ordinal), "the restarted up said what it recovered", TimeSpan.FromMinutes(2));
        await second.InterruptAsync();
        Assert.Equal(0, await second.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Matches(@"recovered: input-user-events [\d,]+, output-user-events [\d,]+, user-events-dlq [\d,]+ \(end offsets\); [\d,]+ rows in the store", second.Error);
    }

    private static List<string> StatusLines(ChildProcess up) =>
        up.Error.Split('\n', StringSplitOptions.TrimEntries).Where(l => l.StartsWith("up ", StringComparison.Ordinal)).ToList();

    [Fact]
    public async Task UpVerifyPassesAndASecondUpContinuesOnTheSameData()
    {
        var first = await ChildProcess.RunPipelineAsync(TimeSpan.FromMinutes(5), "up", "--verify", "--duration", "30s", "--data-dir", _dataDirectory.Path,
            "--listen", "127.0.0.1:0", "--query-listen", "127.0.0.1:0", "--rate", "200", "--duplicates", "0.1", "--malformed", "0.01");
        var second = await ChildProcess.RunPipelineAsync(TimeSpan.FromMinutes(5), "up", "--verify", "--duration", "5s", "--data-dir", _dataDirectory.Path,
            "--listen", "127.0.0.1:0", "--query-listen", "127.0.0.1:0", "--rate", "200", "--duplicates", "0.1", "--malformed", "0.01");
        var total = await ChildProcess.RunPipelineAsync(TimeSpan.FromMinutes(1), "query", "--store", $"duckdb:{_dataDirectory.Combine("analytics.duckdb")}", "-o", "csv",
            "select count(*) - count(distinct eventId) from user_events");

        Assert.True(first.ExitCode == 0, first.Output + first.Error);
        Assert.Contains("verify: PASS", first.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("FAIL", first.Output, StringComparison.Ordinal);
        Assert.Contains("pipeline query", first.Output, StringComparison.Ordinal);
        Assert.True(second.ExitCode == 0, second.Output + second.Error);
        Assert.Contains("verify: PASS", second.Output, StringComparison.Ordinal);
        Assert.True(total.ExitCode == 0, total.Error);
        Assert.EndsWith("\n0", total.Output.TrimEnd(), StringComparison.Ordinal);
    }

    public void Dispose() => _dataDirectory.Dispose();
}
