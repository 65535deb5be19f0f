using StreamingPipeline.Cli.Options;
using StreamingPipeline.Observability.Inspection;

namespace StreamingPipeline.Cli.Inspection;

/// <summary>
/// Runs a command on a <see cref="KafkaInspector"/>: checks the bootstrap servers answer first (one line naming the
/// address within seconds) and turns the inspector's failures into one line on stderr and exit code 3.
/// </summary>
public static class InspectionRun
{
    /// <summary>Runs <paramref name="body"/> and returns its exit code, or 3 with one line on stderr when it fails.</summary>
    public static async Task<int> RunAsync(string bootstrapServers, Func<KafkaInspector, Task<int>> body, CancellationToken cancellationToken)
    {
        if (await BootstrapCheck.FindProblemAsync(bootstrapServers, cancellationToken) is { } unreachable)
        {
            return Fail(unreachable);
        }
        using var inspector = new KafkaInspector(new KafkaConnection(bootstrapServers));
        try
        {
            return await body(inspector);
        }
        catch (InspectionException ex)
        {
            return Fail(ex.Message);
        }
    }

    /// <summary>Prints <c>error: reason</c> on stderr and returns exit code 3.</summary>
    public static int Fail(string reason)
    {
        Console.Error.WriteLine($"error: {reason}");
        return ExitCodes.Failure;
    }
}
