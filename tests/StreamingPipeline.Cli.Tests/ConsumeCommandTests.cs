using System.Text.Json;

namespace StreamingPipeline.Cli.Tests;

/// <summary><c>pipeline consume</c> at each start position and isolation level, run as the real command against the embedded broker.</summary>
public sealed class ConsumeCommandTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task ConsumeStartsAtTheBeginningAnOffsetOrATimeAndStopsAtTheEndOrTheCount()
    {
        await using var broker = await TestBroker.StartAsync(b => b.WithTopic("events", 2));
        await TopicRecords.WriteAsync(broker, "events", 0, 5);
        await TopicRecords.WriteAsync(broker, "events", 1, 3);
        string[] Consume(params string[] args) => ["consume", "-b", broker.BootstrapServers, "-t", "events", .. args];

        var all = await ChildProcess.RunPipelineAsync(Timeout, Consume("--from-beginning", "--until-end"));
        var fromOffset = await ChildProcess.RunPipelineAsync(Timeout, Consume("--offset", "3", "--partition", "0", "-e"));
        var fromTime = await ChildProcess.RunPipelineAsync(Timeout, Consume("--from-time", "2026-01-02T03:04:02Z", "-e", "-o", "json"));
        var counted = await ChildProcess.RunPipelineAsync(Timeout, Consume("--from-beginning", "-p", "1", "-n", "2"));
        var fromEnd = await ChildProcess.RunPipelineAsync(Timeout, Consume("-e"));

        Assert.Equal(0, all.ExitCode);
        Assert.Equal(8, Lines(all.Output).Length);
        Assert.Contains("0\t0\t2026-01-02T03:04:00.000Z\tk0\tv0", Lines(all.Output));
        Assert.Equal("read 8 records from events", all.Error.Trim());
        Assert.Equal(["0\t3\t2026-01-02T03:04:03.000Z\tk3\tv3", "0\t4\t2026-01-02T03:04:04.000Z\tk4\tv4"], Lines(fromOffset.Output));
        Assert.Equal(0, fromTime.ExitCode);
        var timed = Lines(fromTime.Output).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(["0:2", "0:3", "0:4", "1:2"], timed.Select(j => $"{j.GetProperty("partition").GetInt32()}:{j.GetProperty("offset").GetInt64()}").Order());
        var first = timed.Single(j => j.GetProperty("offset").GetInt64() == 2 && j.GetProperty("partition").GetInt32() == 0);
        Assert.Equal(("k2", "v2", "source", "test"), (first.GetProperty("key").GetString(), first.GetProperty("value").GetString(),
            first.GetProperty("headers")[0].GetProperty("key").GetString(), first.GetProperty("headers")[0].GetProperty("value").GetString()));
        Assert.Equal((0, 2), (counted.ExitCode, Lines(counted.Output).Length));
        Assert.Equal((0, ""), (fromEnd.ExitCode, fromEnd.Output.Trim()));
    }

    [Fact]
    public async Task ReadCommittedLeavesOutAbortedAndOpenTransactionsAndReadUncommittedShowsThem()
    {
        await using var broker = await TestBroker.StartAsync(b => b.WithTopic("payments", 1));
        await TopicRecords.WritePlainAsync(broker, "payments", "a");
        using (var aborted = TopicRecords.OpenTransaction(broker, "payments-aborted", "payments", "b", "c"))
        {
            aborted.AbortTransaction(TimeSpan.FromSeconds(30));
        }
        await TopicRecords.WritePlainAsync(broker, "payments", "d");
        using var open = TopicRecords.OpenTransaction(broker, "payments-open", "payments", "e");
        string[] Consume(string isolation) => ["consume", "-b", broker.BootstrapServers, "-t", "payments", "--from-beginning", "-e", "--isolation-level", isolation];

        var committed = await ChildProcess.RunPipelineAsync(Timeout, Consume("read_committed"));
        var uncommitted = await ChildProcess.RunPipelineAsync(Timeout, Consume("read_uncommitted"));

        Assert.Equal(["a", "d"], Lines(committed.Output).Select(l => l.Split('\t')[4]));
        Assert.Equal(["a", "b", "c", "d", "e"], Lines(uncommitted.Output).Select(l => l.Split('\t')[4]));
    }

    [Fact]
    public async Task WithoutAStartOrAnEndConsumeFollowsNewRecordsUntilCtrlC()
    {
        await using var broker = await TestBroker.StartAsync(b => b.WithTopic("clicks", 1));
        await TopicRecords.WritePlainAsync(broker, "clicks", "old");
        await using var consume = ChildProcess.StartPipeline("consume", "-b", broker.BootstrapServers, "-t", "clicks");

        // It starts at the end it finds, so "new" is written until one written after it started shows up.
        var deadline = DateTime.UtcNow + Timeout;
        while (!consume.Output.Contains("\tnew", StringComparison.Ordinal) && DateTime.UtcNow < deadline && !consume.HasExited)
        {
            await TopicRecords.WritePlainAsync(broker, "clicks", "new");
            await Task.Delay(300);
        }
        await consume.InterruptAsync();
        var exitCode = await consume.WaitForExitAsync(Timeout);

        Assert.Equal(0, exitCode);
        Assert.DoesNotContain("\told", consume.Output, StringComparison.Ordinal);
        Assert.Contains("\tnew", consume.Output, StringComparison.Ordinal);
        Assert.StartsWith("read ", consume.Error.Trim(), StringComparison.Ordinal);
    }

    private static string[] Lines(string output) => output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
