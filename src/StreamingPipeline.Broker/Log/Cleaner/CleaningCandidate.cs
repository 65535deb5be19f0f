namespace StreamingPipeline.Broker.Log.Cleaner;

/// <summary>
/// What one partition offers the cleaner right now: its segments (a snapshot, active one last), the dirty range
/// [<see cref="FirstDirtyOffset"/>, <see cref="UncleanableOffset"/>) and how dirty the cleanable part is.
/// </summary>
/// <param name="Log">The partition.</param>
/// <param name="Config">The topic's config as it was read for this assessment (a runtime change applies from the next one).</param>
/// <param name="Segments">The segments when assessed.</param>
/// <param name="CleanableSegmentCount">The leading segments the cleaner may rewrite: closed, below the last stable offset and past min.compaction.lag.ms.</param>
/// <param name="FirstDirtyOffset">Where the part not yet cleaned starts.</param>
/// <param name="UncleanableOffset">The base offset of the first segment the cleaner must not touch.</param>
/// <param name="CleanBytes">Bytes of cleanable segments wholly below the first dirty offset.</param>
/// <param name="DirtyBytes">Bytes of the other cleanable segments.</param>
/// <param name="MaxCompactionLagDue">True when a dirty record is older than max.compaction.lag.ms.</param>
internal sealed record CleaningCandidate(
    PartitionLog Log,
    LogConfig Config,
    LogSegment[] Segments,
    int CleanableSegmentCount,
    long FirstDirtyOffset,
    long UncleanableOffset,
    long CleanBytes,
    long DirtyBytes,
    bool MaxCompactionLagDue)
{
    /// <summary>The dirty share of the cleanable log.</summary>
    public double DirtyRatio => CleanBytes + DirtyBytes == 0 ? 0 : (double)DirtyBytes / (CleanBytes + DirtyBytes);

    /// <summary>True when the topic's settings ask for a cleaning now.</summary>
    public bool IsDue => DirtyBytes > 0 && (DirtyRatio >= Config.MinCleanableDirtyRatio || MaxCompactionLagDue);
}
