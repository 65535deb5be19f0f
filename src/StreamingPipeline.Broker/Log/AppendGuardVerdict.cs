using StreamingPipeline.Protocol;

namespace StreamingPipeline.Broker.Log;

/// <summary>What an <see cref="IBatchAppendGuard"/> decided about one batch.</summary>
internal readonly record struct AppendGuardVerdict
{
    private AppendGuardVerdict(AppendGuardOutcome outcome, ErrorCode error, string? message, long baseOffset, long lastOffset, long appendTimeMs)
    {
        Outcome = outcome;
        Error = error;
        ErrorMessage = message;
        DuplicateBaseOffset = baseOffset;
        DuplicateLastOffset = lastOffset;
        DuplicateLogAppendTimeMs = appendTimeMs;
    }

    /// <summary>Accept, acknowledge as a duplicate, or reject.</summary>
    public AppendGuardOutcome Outcome { get; }

    /// <summary>The error to answer with when rejected; None otherwise.</summary>
    public ErrorCode Error { get; }

    /// <summary>Text for the produce response when rejected.</summary>
    public string? ErrorMessage { get; }

    /// <summary>For a duplicate: the offset the original batch was written at.</summary>
    public long DuplicateBaseOffset { get; }

    /// <summary>For a duplicate: the last offset of the original batch.</summary>
    public long DuplicateLastOffset { get; }

    /// <summary>For a duplicate: the original batch's max timestamp, which the log reports only on LogAppendTime topics.</summary>
    public long DuplicateLogAppendTimeMs { get; }

    /// <summary>Write the batch.</summary>
    public static AppendGuardVerdict Accept { get; } = new(AppendGuardOutcome.Accept, ErrorCode.None, null, -1, -1, -1);

    /// <summary>Do not write; answer success with the offsets of the batch already in the log.</summary>
    public static AppendGuardVerdict Duplicate(long baseOffset, long lastOffset, long logAppendTimeMs = -1) =>
        new(AppendGuardOutcome.Duplicate, ErrorCode.None, null, baseOffset, lastOffset, logAppendTimeMs);

    /// <summary>Do not write; answer with <paramref name="error"/>.</summary>
    public static AppendGuardVerdict Reject(ErrorCode error, string? message = null) =>
        new(AppendGuardOutcome.Reject, error, message, -1, -1, -1);
}
