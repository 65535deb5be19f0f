using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using System.Runtime.InteropServices;
using StreamingPipeline.Cli.Commands;
using StreamingPipeline.Cli.Options;

namespace StreamingPipeline.Cli;

/// <summary>Builds the `pipeline` command tree and runs it.</summary>
public static class PipelineCli
{
    /// <summary>Builds the root command with every sub-command.</summary>
    public static RootCommand BuildRootCommand()
    {
        var root = new RootCommand("streaming-pipeline: exactly-once deduplication of user events on Kafka.");
        // One line per command; each lives in Commands/<Name>Command.cs.
        root.Subcommands.Add(UpCommand.Create());
        root.Subcommands.Add(BrokerCommand.Create());
        root.Subcommands.Add(TopicsCommand.Create());
        root.Subcommands.Add(ConsumeCommand.Create());
        root.Subcommands.Add(GroupsCommand.Create());
        root.Subcommands.Add(ProduceCommand.Create());
        root.Subcommands.Add(ForwardCommand.Create());
        root.Subcommands.Add(DedupCommand.Create());
        root.Subcommands.Add(IngestCommand.Create());
        root.Subcommands.Add(QueryCommand.Create());
        root.Subcommands.Add(QueryApiCommand.Create());
        root.Subcommands.Add(EstimateStateCommand.Create());
        ShowHelpWhenNoVerbIsGiven(root);
        ValueParsers.InstallEverywhere(root);
        return root;
    }

    /// <summary>A command group such as <c>pipeline topics</c> prints its help instead of failing when no verb follows.</summary>
    private static void ShowHelpWhenNoVerbIsGiven(Command command)
    {
        if (command.Action is null && command.Subcommands.Count > 0)
        {
            command.SetAction(parseResult => new HelpAction().Invoke(parseResult));
        }
        foreach (var sub in command.Subcommands)
        {
            ShowHelpWhenNoVerbIsGiven(sub);
        }
    }

    private static string OneLine(string message) => string.Join(' ', message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));

    /// <summary>Parses and runs <paramref name="args"/>; returns the process exit code.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var parseResult = BuildRootCommand().Parse(args);
        if (parseResult.Errors.Count > 0)
        {
            // One line, naming the first problem and where to read more; fixing it shows the next one, if any.
            var path = "pipeline";
            for (var result = parseResult.CommandResult; result.Parent is CommandResult parent; result = parent)
            {
                path = path.Insert("pipeline".Length, " " + result.Command.Name);
            }
            await Console.Error.WriteLineAsync($"error: {OneLine(parseResult.Errors[0].Message)} (see '{path} --help')");
            return ExitCodes.Usage;
        }
        // Ctrl+C and SIGTERM cancel the command's token and let it stop cleanly (flush logs, close files) instead of
        // System.CommandLine's default of exiting after a short grace period.
        using var stop = new CancellationTokenSource();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);
        try
        {
            // Failures print one line and exit 3 (below), not System.CommandLine's stack trace and exit 1.
            return await parseResult.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false }, stop.Token);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return ExitCodes.Ok;
        }
        catch (Exception ex)
        {
            await Console.Error.WriteLineAsync($"error: {OneLine(ex.Message)}");
            return ExitCodes.Failure;
        }

        void Cancel(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }
    }
}
