namespace StreamingPipeline.Cli.Produce;

/// <summary>How <see cref="ProgressDisplay"/> shows progress.</summary>
public enum ProgressMode
{
    /// <summary>Nothing.</summary>
    Quiet,

    /// <summary>One plain line every interval (output redirected).</summary>
    Plain,

    /// <summary>A live table (a terminal).</summary>
    Live,
}
