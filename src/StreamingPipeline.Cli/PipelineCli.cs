using System.CommandLine;
using System.CommandLine.Help;
using System.Runtime.InteropServices;
using StreamingPipeline.Cli.Commands;

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
        root.Subcommands.Add(ProduceCommand.Create());
        root.Subcommands.Add(ForwardCommand.Create());
        root.Subcommands.Add(DedupCommand.Create());
        ShowHelpWhenNoVerbIsGiven(root);
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

    /// <summary>Parses and runs <paramref name="args"/>; returns the process exit code.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var parseResult = BuildRootCommand().Parse(args);
        if (parseResult.Errors.Count > 0)
        {
            foreach (var error in parseResult.Errors)
            {
                await Console.Error.WriteLineAsync($"error: {error.Message}");
            }
            await Console.Error.WriteLineAsync("Run 'pipeline --help' for usage.");
            return ExitCodes.Usage;
        }
        // Ctrl+C and SIGTERM cancel the command's token and let it stop cleanly (flush logs, close files) instead of
        // System.CommandLine's default of exiting after a short grace period.
        using var stop = new CancellationTokenSource();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);
        return await parseResult.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }, stop.Token);

        void Cancel(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }
    }
}
