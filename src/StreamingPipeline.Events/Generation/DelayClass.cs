namespace StreamingPipeline.Events.Generation;

/// <summary>
/// How late a duplicate came, in event time, relative to the dedup window W sliding by S. Within W − S a
/// bucketed dedup must drop it; beyond W + S it must keep it; in between, bucket boundaries decide.
/// </summary>
public enum DelayClass : byte
{
    /// <summary>Under a minute.</summary>
    Seconds,

    /// <summary>A minute to an hour.</summary>
    Minutes,

    /// <summary>An hour up to W − S.</summary>
    Hours,

    /// <summary>Between W − S and W + S: dropped or kept depending on bucket boundaries.</summary>
    WindowEdge,

    /// <summary>More than W + S: by definition a new event again, kept.</summary>
    BeyondWindow,
}
