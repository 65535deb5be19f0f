using System.CommandLine;
using StreamingPipeline.Cli.Inspection;
using StreamingPipeline.Cli.Options;
using StreamingPipeline.Cli.Output;
using StreamingPipeline.Observability.Inspection;

namespace StreamingPipeline.Cli.Commands;

/// <summary>
/// <c>pipeline consume</c>: prints a topic's records, like kafka-console-consumer and kcat -C. It reads by assignment,
/// so it never joins or commits for a consumer group, and it never creates the topic.
/// </summary>
public static class ConsumeCommand
{
    private const string ReadCommitted = "read_committed";
    private const string ReadUncommitted = "read_uncommitted";

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var bootstrap = CommonOptions.BootstrapServers();
        var topic = CommonOptions.Topic("Topic to read");
        var fromBeginning = new Option<bool>("--from-beginning") { Description = "Start at the first record of each partition" };
        var offset = new Option<long?>("--offset") { Description = "Start at this offset in each partition read (clamped to the partition's start and end)", HelpName = "offset" };
        var fromTime = PointInTime.Option("--from-time", "Start at the first record with a timestamp at or after this time");
        var partition = new Option<int?>("--partition", "-p") { Description = "Read only this partition (default: all)", HelpName = "partition" };
        var isolation = new Option<string>("--isolation-level")
        {
            Description = $"{ReadCommitted} (only committed transactions, what the pipeline's consumers see) or {ReadUncommitted} (every record, as Kafka's console consumer)",
            HelpName = $"{ReadCommitted}|{ReadUncommitted}",
            DefaultValueFactory = _ => ReadUncommitted,
        };
        var count = new Option<int?>("--count", "-n", "--max-messages") { Description = "Stop after this many records", HelpName = "count" };
        var untilEnd = new Option<bool>("--until-end", "-e") { Description = "Stop at the end of the partitions instead of waiting for new records (as kcat -e)" };
        var output = MessageFormatOption.Create();
        var command = new Command(
            "consume",
            "Print a topic's records. Starts at the end (new records only) unless --from-beginning, --offset or --from-time is given, "
            + "and follows new records until Ctrl+C, --count records or, with --until-end, the end of every partition")
        {
            bootstrap, topic, fromBeginning, offset, fromTime, partition, isolation, count, untilEnd, output,
        };
        isolation.Validators.Add(r =>
        {
            var value = r.Tokens.Count > 0 ? r.Tokens[0].Value : ReadUncommitted;
            if (value is not (ReadCommitted or ReadUncommitted))
            {
                r.AddError($"--isolation-level must be {ReadCommitted} or {ReadUncommitted}, got '{value}'.");
            }
        });
        offset.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<long?>() is < 0)
            {
                r.AddError("--offset must be 0 or more.");
            }
        });
        partition.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int?>() is < 0)
            {
                r.AddError("--partition must be 0 or more.");
            }
        });
        count.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int?>() is < 1)
            {
                r.AddError("--count must be at least 1.");
            }
        });
        command.Validators.Add(r =>
        {
            var starts = new[] { r.GetResult(fromBeginning) is not null ? "--from-beginning" : null, r.GetResult(offset) is not null ? "--offset" : null, r.GetResult(fromTime) is not null ? "--from-time" : null }
                .OfType<string>().ToList();
            if (starts.Count > 1)
            {
                r.AddError($"give one start position, not {string.Join(" and ", starts)}.");
            }
        });
        command.SetAction((parse, ct) =>
        {
            var query = new MessageQuery(parse.GetValue(topic)!)
            {
                Partition = parse.GetValue(partition),
                Start = parse.GetValue(fromBeginning) ? MessageStart.Beginning
                    : parse.GetValue(offset) is not null ? MessageStart.Offset
                    : parse.GetValue(fromTime) is not null ? MessageStart.Timestamp
                    : MessageStart.End,
                Offset = parse.GetValue(offset),
                TimestampUnixMs = parse.GetValue(fromTime),
                MaxMessages = parse.GetValue(count),
                Isolation = parse.GetValue(isolation) == ReadCommitted ? ReadIsolation.ReadCommitted : ReadIsolation.ReadUncommitted,
                Follow = !parse.GetValue(untilEnd),
                // With --until-end the read stops at the end it finds; this only bounds a broker that stops answering.
                Timeout = TimeSpan.FromMinutes(5),
            };
            var format = parse.GetValue(output);
            return InspectionRun.RunAsync(parse.GetValue(bootstrap)!, async inspector =>
            {
                var printed = 0;
                try
                {
                    await foreach (var message in inspector.Messages.ReadAsync(query, ct))
                    {
                        MessagePrinter.Print(Console.Out, format, message);
                        printed++;
                    }
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    // Ctrl+C ends a follow; what was read is printed and the count follows.
                }
                await Console.Out.FlushAsync(CancellationToken.None);
                await Console.Error.WriteLineAsync($"read {printed} record{(printed == 1 ? "" : "s")} from {query.Topic}");
                return ExitCodes.Ok;
            }, ct);
        });
        return command;
    }
}
