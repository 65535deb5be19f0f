using System.CommandLine;
using StreamingPipeline.Cli.Options;
using StreamingPipeline.Cli.Processing;
using StreamingPipeline.Jobs.Dedup;
using StreamingPipeline.Processing.State;

namespace StreamingPipeline.Cli.Commands;

/// <summary><c>pipeline dedup</c>: drops events whose eventId was already seen for the user within the window, exactly once.</summary>
public static class DedupCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var command = new Command("dedup", "Deduplicate the input topic into the output topic (per user, eventIds seen within the window), exactly once, until Ctrl+C");
        var options = JobOptions.AddTo(command, "dedup");
        var window = CommonOptions.Duration("--window", "How long an eventId is remembered, in event time", "24h");
        var slide = CommonOptions.Duration("--slide", "Granularity of expiry: the window slides in steps of this", "30m");
        command.Options.Add(window);
        command.Options.Add(slide);
        command.SetAction(async (parse, ct) =>
        {
            TimeSpan w = parse.GetValue(window);
            TimeSpan s = parse.GetValue(slide);
            if (s <= TimeSpan.Zero || w < s || w.Ticks % s.Ticks != 0)
            {
                await Console.Error.WriteLineAsync($"error: --window must be a positive multiple of --slide (got {w} and {s}).");
                return ExitCodes.Usage;
            }
            return await JobRunner.RunAsync(CreateJob(w, s, parse.GetValue(options.State)!), options, parse, ct);
        });
        return command;
    }

    /// <summary>The dedup job with the command's settings (the backend name is one of <see cref="JobOptions.StateBackends"/>).</summary>
    private static DedupJob CreateJob(TimeSpan window, TimeSpan slide, string stateBackend) =>
        new(new DedupWindow(window, slide), StateStores.TryParse(stateBackend, out var backend) ? backend : StateBackend.RocksDb);
}
