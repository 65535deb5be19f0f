namespace StreamingPipeline.Observability.Inspection;

/// <summary>Where a read starts in each partition.</summary>
public enum MessageStart
{
    /// <summary>The newest <see cref="MessageQuery.MaxMessages"/> records (per partition before they are merged).</summary>
    Newest,

    /// <summary>The first record still in the log.</summary>
    Beginning,

    /// <summary><see cref="MessageQuery.Offset"/> (clamped to the partition's start and end).</summary>
    Offset,

    /// <summary>The first record whose timestamp is at or after <see cref="MessageQuery.TimestampUnixMs"/>.</summary>
    Timestamp,

    /// <summary>The end: only records appended after the read starts (for following).</summary>
    End,
}
