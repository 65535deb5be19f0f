using StreamingPipeline.Events.Generation;

namespace StreamingPipeline.Events.Producing;

/// <summary>How a run ended: the summary of what was sent, and the error that stopped it, if any.</summary>
/// <param name="Summary">What was sent.</param>
/// <param name="Error">Why the run failed, or null when every record was acknowledged.</param>
public sealed record ProduceOutcome(GeneratorSummary Summary, string? Error)
{
    /// <summary>True when every record sent was acknowledged.</summary>
    public bool Succeeded => Error is null;
}
