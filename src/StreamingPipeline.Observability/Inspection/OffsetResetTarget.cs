namespace StreamingPipeline.Observability.Inspection;

/// <summary>Where a reset moves a group's committed offsets.</summary>
public enum OffsetResetTarget
{
    /// <summary>Each partition's start offset.</summary>
    Earliest,

    /// <summary>Each partition's end offset (high watermark).</summary>
    Latest,

    /// <summary><see cref="OffsetResetRequest.Offset"/>, clamped to each partition's start and end, as Kafka's tool does.</summary>
    Offset,

    /// <summary>The first record at or after <see cref="OffsetResetRequest.TimestampUnixMs"/>, or the end when there is none.</summary>
    Timestamp,
}
