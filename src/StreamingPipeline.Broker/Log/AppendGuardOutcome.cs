namespace StreamingPipeline.Broker.Log;

/// <summary>The three answers an <see cref="IBatchAppendGuard"/> can give about a batch.</summary>
internal enum AppendGuardOutcome
{
    /// <summary>Write the batch.</summary>
    Accept,

    /// <summary>The batch is already in the log (a producer retry); acknowledge it with the original offsets.</summary>
    Duplicate,

    /// <summary>Refuse the append (out-of-order sequence, fenced epoch, ...).</summary>
    Reject,
}
