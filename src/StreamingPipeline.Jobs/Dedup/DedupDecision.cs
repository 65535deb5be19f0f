namespace StreamingPipeline.Jobs.Dedup;

/// <summary>What <see cref="DedupOperator"/> decided for one event.</summary>
public enum DedupDecision
{
    /// <summary>First occurrence within the window: emit it; its id is remembered.</summary>
    Pass,

    /// <summary>Its bucket is already out of the window: emit it, but there is nothing to remember it in.</summary>
    PassLate,

    /// <summary>Its id is remembered in a retained bucket: drop it.</summary>
    Duplicate,
}
