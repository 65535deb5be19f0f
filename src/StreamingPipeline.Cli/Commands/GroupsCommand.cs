using System.CommandLine;
using System.Text.Json;
using StreamingPipeline.Cli.Inspection;
using StreamingPipeline.Cli.Options;
using StreamingPipeline.Cli.Output;
using StreamingPipeline.Observability.Inspection;

namespace StreamingPipeline.Cli.Commands;

/// <summary><c>pipeline groups list|describe|reset-offsets</c>: consumer groups, their lag and their offsets, like kafka-consumer-groups.</summary>
public static class GroupsCommand
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The groups the processing jobs join unless told otherwise (<c>--group-id</c>, default <c>pipeline-JOB</c>).</summary>
    private static readonly Dictionary<string, string> JobGroups = new(StringComparer.Ordinal)
    {
        ["pipeline-dedup"] = "dedup",
        ["pipeline-forward"] = "forward",
    };

    /// <summary>Builds the command group.</summary>
    public static Command Create()
    {
        var groups = new Command("groups", "List and describe consumer groups (members, committed offsets, lag) and reset their offsets");
        groups.Subcommands.Add(ListCommand());
        groups.Subcommands.Add(DescribeCommand());
        groups.Subcommands.Add(ResetOffsetsCommand());
        return groups;
    }

    private static Option<string> Group() => new("--group", "-g") { Description = "The consumer group", Required = true };

    private static Command ListCommand()
    {
        var bootstrap = CommonOptions.BootstrapServers();
        var output = OutputFormatOption.Create();
        var command = new Command("list", "List consumer groups with their state") { bootstrap, output };
        command.SetAction((parse, ct) => InspectionRun.RunAsync(parse.GetValue(bootstrap)!, async inspector =>
        {
            var listed = await inspector.Groups.ListAsync(ct);
            RowPrinter.Print(Console.Out, parse.GetValue(output), ["group", "state"], listed.Select(g => new object?[] { g.GroupId, g.State }));
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Command DescribeCommand()
    {
        var bootstrap = CommonOptions.BootstrapServers();
        var group = Group();
        var output = OutputFormatOption.Create();
        var command = new Command("describe", "Show a group's state, members, and per partition its committed offset, the end offset and the lag") { bootstrap, group, output };
        command.SetAction((parse, ct) => InspectionRun.RunAsync(parse.GetValue(bootstrap)!, async inspector =>
        {
            var details = await inspector.Groups.DescribeAsync(parse.GetValue(group)!, ct);
            var format = parse.GetValue(output);
            if (format == OutputFormat.Json)
            {
                Console.WriteLine(JsonSerializer.Serialize(details, Json));
                return ExitCodes.Ok;
            }
            if (format == OutputFormat.Table)
            {
                var members = details.Members.Count == 1 ? "1 member" : $"{details.Members.Count} members";
                Console.WriteLine($"group {details.GroupId}: {details.State}, {members}, total lag {details.TotalLag}");
            }
            RowPrinter.Print(Console.Out, format,
                ["topic", "partition", "current-offset", "log-end-offset", "last-stable-offset", "lag", "client-id", "member-id"],
                details.Partitions.Select(p => new object?[] { p.Topic, p.Partition, p.CommittedOffset, p.EndOffset, p.LastStableOffset, p.Lag, p.ClientId, p.MemberId }));
            if (format == OutputFormat.Table && details.Members.Count > 0)
            {
                RowPrinter.Print(Console.Out, format, ["member-id", "client-id", "host", "partitions"],
                    details.Members.Select(m => new object?[] { m.MemberId, m.ClientId, m.Host, string.Join(' ', m.Assignment.Select(a => $"{a.Topic}:{a.Partition}")) }));
            }
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Command ResetOffsetsCommand()
    {
        var bootstrap = CommonOptions.BootstrapServers();
        var group = Group();
        var topic = CommonOptions.Topic("Topic whose partitions are reset");
        var partition = new Option<int?>("--partition", "-p") { Description = "Reset only this partition (default: all)", HelpName = "partition" };
        var toEarliest = new Option<bool>("--to-earliest") { Description = "To each partition's first offset" };
        var toLatest = new Option<bool>("--to-latest") { Description = "To each partition's end offset" };
        var toOffset = new Option<long?>("--to-offset") { Description = "To this offset (clamped to each partition's start and end)", HelpName = "offset" };
        var toDatetime = PointInTime.Option("--to-datetime", "To the first record at or after this time (the end when there is none)");
        var dryRun = new Option<bool>("--dry-run") { Description = "Only show the plan (the default without --execute)" };
        var execute = new Option<bool>("--execute") { Description = "Commit the new offsets" };
        var output = OutputFormatOption.Create();
        var command = new Command(
            "reset-offsets",
            "Move a group's committed offsets on a topic. Shows the plan unless --execute is given; refused while the group has members, as kafka-consumer-groups does")
        {
            bootstrap, group, topic, partition, toEarliest, toLatest, toOffset, toDatetime, dryRun, execute, output,
        };
        toOffset.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<long?>() is < 0)
            {
                r.AddError("--to-offset must be 0 or more.");
            }
        });
        partition.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int?>() is < 0)
            {
                r.AddError("--partition must be 0 or more.");
            }
        });
        command.Validators.Add(r =>
        {
            var targets = new[]
            {
                r.GetResult(toEarliest) is not null ? "--to-earliest" : null,
                r.GetResult(toLatest) is not null ? "--to-latest" : null,
                r.GetResult(toOffset) is not null ? "--to-offset" : null,
                r.GetResult(toDatetime) is not null ? "--to-datetime" : null,
            }.OfType<string>().ToList();
            if (targets.Count != 1)
            {
                r.AddError(targets.Count == 0
                    ? "say where to: --to-earliest, --to-latest, --to-offset N or --to-datetime T."
                    : $"give one of --to-earliest, --to-latest, --to-offset and --to-datetime, not {string.Join(" and ", targets)}.");
            }
            if (r.GetResult(dryRun) is not null && r.GetResult(execute) is not null)
            {
                r.AddError("give --dry-run or --execute, not both.");
            }
        });
        command.SetAction((parse, ct) =>
        {
            var request = new OffsetResetRequest(
                parse.GetValue(group)!,
                parse.GetValue(topic)!,
                parse.GetValue(toEarliest) ? OffsetResetTarget.Earliest
                    : parse.GetValue(toLatest) ? OffsetResetTarget.Latest
                    : parse.GetValue(toOffset) is not null ? OffsetResetTarget.Offset
                    : OffsetResetTarget.Timestamp)
            {
                Partition = parse.GetValue(partition),
                Offset = parse.GetValue(toOffset),
                TimestampUnixMs = parse.GetValue(toDatetime),
            };
            var executing = parse.GetValue(execute);
            return InspectionRun.RunAsync(parse.GetValue(bootstrap)!, async inspector =>
            {
                if (ProcessingJobWarning(request.GroupId) is { } warning)
                {
                    await Console.Error.WriteLineAsync(warning);
                }
                var plan = await inspector.Groups.ResetOffsetsAsync(request, executing, ct);
                RowPrinter.Print(Console.Out, parse.GetValue(output), ["group", "topic", "partition", "current-offset", "new-offset"],
                    plan.Partitions.Select(p => new object?[] { plan.GroupId, p.Topic, p.Partition, p.CurrentOffset, p.NewOffset }));
                await Console.Error.WriteLineAsync(executing
                    ? $"committed the new offsets of group {plan.GroupId}."
                    : "dry run: nothing changed; add --execute to commit these offsets.");
                return ExitCodes.Ok;
            }, ct);
        });
        return command;
    }

    /// <summary>
    /// The warning for a reset of a processing job's group: the job's exactly-once covers the offsets it commits itself,
    /// and its state is rebuilt from its output, not from these offsets, so a reset re-processes or skips input.
    /// </summary>
    internal static string? ProcessingJobWarning(string group)
    {
        if (!JobGroups.TryGetValue(group, out var job))
        {
            return null;
        }
        var effect = job == "dedup"
            ? "moving them back replays input its state has already seen (events still within the window are dropped as duplicates, older ones pass and are written again); moving them forward skips input that is never deduplicated or written"
            : "moving them back copies those records to the output again; moving them forward skips records that are never copied";
        return $"warning: {group} is the consumer group of `pipeline {job}`, whose output and state (RocksDB under --state-dir, rebuilt from its output topic) reflect exactly the offsets it committed. "
            + $"A reset moves the offsets away from them: {effect}. Exactly-once holds for what the job commits, not across a reset (docs/processing.md).";
    }
}
