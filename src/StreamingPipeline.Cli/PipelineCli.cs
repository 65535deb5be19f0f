using System.CommandLine;


namespace StreamingPipeline.Cli;

/// <summary>Builds the `pipeline` command tree and runs it.</summary>
public static class PipelineCli
{
    /// <summary>Exit code for bad usage (unknown option, invalid value).</summary>
    public const int UsageError = 2;

    /// <summary>Builds the root command with every sub-command.</summary>
    public static RootCommand BuildRootCommand()
    {
        var root = new RootCommand("streaming-pipeline: exactly-once deduplication of user events on Kafka.");
        // One line per command; each lives in Commands/<Name>Command.cs.
        root.Subcommands.Add(Commands.ProduceCommand.Create());
        return root;
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
            return UsageError;
        }
        return await parseResult.InvokeAsync();
    }
}
