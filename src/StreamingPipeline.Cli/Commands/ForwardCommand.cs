using System.CommandLine;
using StreamingPipeline.Cli.Options;
using StreamingPipeline.Cli.Processing;
using StreamingPipeline.Jobs.Forward;

namespace StreamingPipeline.Cli.Commands;

/// <summary><c>pipeline forward</c>: copies the input topic to the output topic exactly once (the runtime's baseline).</summary>
public static class ForwardCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var command = new Command("forward", "Copy the input topic to the output topic exactly once, partition by partition, until Ctrl+C");
        var options = JobOptions.AddTo(command, "forward");
        command.SetAction((parse, ct) => JobRunner.RunAsync(new ForwardJob(), options, parse, ct));
        return command;
    }
}
