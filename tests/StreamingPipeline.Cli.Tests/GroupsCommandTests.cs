using System.Text.Json;
using Confluent.Kafka;

namespace StreamingPipeline.Cli.Tests;

/// <summary><c>pipeline groups list|describe|reset-offsets</c> run as the real command against the embedded broker.</summary>
public sealed class GroupsCommandTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task DescribeShowsMembersOffsetsAndLagAndResetIsRefusedWhileAMemberIsActive()
    {
        await using var broker = await TestBroker.StartAsync(b => b.WithTopic("orders", 2));
        await TopicRecords.WriteAsync(broker, "orders", 0, 10);
        await TopicRecords.WriteAsync(broker, "orders", 1, 4);
        using var consumer = broker.Consumer("billing", c => c.ClientId = "billing-1");
        consumer.Subscribe("orders");
        Assert.Equal(14, KafkaClients.ConsumeExactly(consumer, 14, Timeout).Count);
        consumer.Commit([new TopicPartitionOffset("orders", 0, 6), new TopicPartitionOffset("orders", 1, 4)]);
        var servers = broker.BootstrapServers;

        var listed = await ChildProcess.RunPipelineAsync(Timeout, "groups", "list", "-b", servers, "-o", "csv");
        var described = await ChildProcess.RunPipelineAsync(Timeout, "groups", "describe", "-b", servers, "-g", "billing", "-o", "json");
        var table = await ChildProcess.RunPipelineAsync(Timeout, "groups", "describe", "-b", servers, "-g", "billing");
        var refused = await ChildProcess.RunPipelineAsync(Timeout, "groups", "reset-offsets", "-b", servers, "-g", "billing", "-t", "orders", "--to-earliest", "--execute");

        Assert.Equal((0, "group,state\nbilling,Stable"), (listed.ExitCode, listed.Output.Trim().ReplaceLineEndings("\n")));
        Assert.Equal(0, described.ExitCode);
        var json = JsonDocument.Parse(described.Output).RootElement;
        Assert.Equal(("Stable", 4), (json.GetProperty("state").GetString(), json.GetProperty("totalLag").GetInt64()));
        Assert.Equal("billing-1", json.GetProperty("members")[0].GetProperty("clientId").GetString());
        Assert.Equal(["orders:0 committed 6 end 10 lag 4", "orders:1 committed 4 end 4 lag 0"], json.GetProperty("partitions").EnumerateArray().Select(p =>
            $"{p.GetProperty("topic").GetString()}:{p.GetProperty("partition").GetInt32()} committed {p.GetProperty("committedOffset").GetInt64()} end {p.GetProperty("endOffset").GetInt64()} lag {p.GetProperty("lag").GetInt64()}"));
        Assert.StartsWith("group billing: Stable, 1 member, total lag 4", table.Output.Trim(), StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Failure, refused.ExitCode);
        Assert.Equal("error: consumer group billing has 1 active member (state Stable); offsets can only be reset when it is empty: stop its consumers first.", refused.Error.Trim());
        Assert.Equal([6L, 4L], KafkaClients.CommittedOffsets(servers, "billing", "orders", 2, Timeout));
    }

    [Fact]
    public async Task ResetOffsetsShowsThePlanWithoutExecuteAndCommitsItWithExecute()
    {
        await using var broker = await TestBroker.StartAsync(b => b.WithTopic("orders", 2));
        await TopicRecords.WriteAsync(broker, "orders", 0, 10);
        await TopicRecords.WriteAsync(broker, "orders", 1, 4);
        using (var consumer = broker.Consumer("billing"))
        {
            consumer.Subscribe("orders");
            KafkaClients.ConsumeExactly(consumer, 14, Timeout);
            consumer.Commit([new TopicPartitionOffset("orders", 0, 6), new TopicPartitionOffset("orders", 1, 4)]);
            consumer.Close();
        }
        var servers = broker.BootstrapServers;
        async Task<(int ExitCode, string Committed, string Output)> ResetAsync(params string[] args)
        {
            var run = await ChildProcess.RunPipelineAsync(Timeout, ["groups", "reset-offsets", "-b", servers, "-g", "billing", "-t", "orders", "-o", "csv", .. args]);
            return (run.ExitCode, string.Join(",", KafkaClients.CommittedOffsets(servers, "billing", "orders", 2, Timeout)), run.Output.Trim().ReplaceLineEndings("\n"));
        }

        var plan = await ResetAsync("--to-earliest");
        var dryRun = await ResetAsync("--to-earliest", "--dry-run");
        var earliest = await ResetAsync("--to-earliest", "--execute");
        var latest = await ResetAsync("--to-latest", "--execute");
        var offset = await ResetAsync("--to-offset", "2", "--partition", "1", "--execute");
        var time = await ResetAsync("--to-datetime", "2026-01-02T03:04:03Z", "--execute");

        Assert.Equal((0, "6,4", "group,topic,partition,current-offset,new-offset\nbilling,orders,0,6,0\nbilling,orders,1,4,0"), plan);
        Assert.Equal((0, "6,4"), (dryRun.ExitCode, dryRun.Committed));
        Assert.Equal((0, "0,0"), (earliest.ExitCode, earliest.Committed));
        Assert.Equal((0, "10,4"), (latest.ExitCode, latest.Committed));
        Assert.Equal((0, "10,2"), (offset.ExitCode, offset.Committed));
        Assert.Equal((0, "3,3"), (time.ExitCode, time.Committed));
    }

    [Fact]
    public async Task ResettingAProcessingJobsGroupWarnsThatItsStateDoesNotMoveWithTheOffsets()
    {
        await using var broker = await TestBroker.StartAsync(b => b.WithTopic("input-user-events", 1));
        await TopicRecords.WriteAsync(broker, "input-user-events", 0, 5);
        foreach (var group in new[] { "pipeline-dedup", "billing" })
        {
            using var consumer = broker.Consumer(group);
            consumer.Assign(new TopicPartitionOffset("input-user-events", 0, 0));
            consumer.Commit([new TopicPartitionOffset("input-user-events", 0, 5)]);
            consumer.Close();
        }
        Task<ProcessResult> ResetAsync(string group) => ChildProcess.RunPipelineAsync(Timeout,
            "groups", "reset-offsets", "-b", broker.BootstrapServers, "-g", group, "-t", "input-user-events", "--to-earliest");

        var dedup = await ResetAsync("pipeline-dedup");
        var other = await ResetAsync("billing");

        Assert.Equal(0, dedup.ExitCode);
        Assert.StartsWith("warning: pipeline-dedup is the consumer group of `pipeline dedup`", dedup.Error, StringComparison.Ordinal);
        Assert.Contains("state", dedup.Error, StringComparison.Ordinal);
        Assert.Equal((0, "dry run: nothing changed; add --execute to commit these offsets."), (other.ExitCode, other.Error.Trim()));
    }
}
