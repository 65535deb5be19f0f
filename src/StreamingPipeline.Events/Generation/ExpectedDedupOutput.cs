namespace StreamingPipeline.Events.Generation;

/// <summary>Bounds on a correct dedup's output count: window-edge re-sends may go either way.</summary>
public sealed class ExpectedDedupOutput
{
    /// <summary>Events plus re-sends beyond the window.</summary>
    public long Min { get; set; }

    /// <summary><see cref="Min"/> plus re-sends at the window's edge.</summary>
    public long Max { get; set; }
}
