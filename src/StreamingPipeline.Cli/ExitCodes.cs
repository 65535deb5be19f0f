namespace StreamingPipeline.Cli;

/// <summary>The process exit codes every command uses.</summary>
public static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Ok = 0;

    /// <summary>A check failed (verify found a difference).</summary>
    public const int CheckFailed = 1;

    /// <summary>Bad usage: unknown option, invalid value.</summary>
    public const int Usage = 2;

    /// <summary>A runtime failure: the cluster refused, a file could not be written...</summary>
    public const int Failure = 3;
}
