namespace StreamingPipeline.Observability.Inspection;

/// <summary>Which offsets of a group to reset, and to where.</summary>
/// <param name="GroupId">The group.</param>
/// <param name="Topic">The topic whose partitions are reset.</param>
/// <param name="Target">Where they go.</param>
public sealed record OffsetResetRequest(string GroupId, string Topic, OffsetResetTarget Target)
{
    /// <summary>One partition, or null for every partition of the topic.</summary>
    public int? Partition { get; init; }

    /// <summary>The offset for <see cref="OffsetResetTarget.Offset"/>.</summary>
    public long? Offset { get; init; }

    /// <summary>Milliseconds since the Unix epoch for <see cref="OffsetResetTarget.Timestamp"/>.</summary>
    public long? TimestampUnixMs { get; init; }
}
