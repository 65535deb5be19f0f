namespace StreamingPipeline.Broker.Groups;

/// <summary>
/// A committed (or transactionally staged) offset in memory. <paramref name="Sequence"/> is the position of the entry that
/// wrote it in the offsets file, so a transaction that commits keeps a newer plain commit of the same partition, as Kafka does.
/// </summary>
internal readonly record struct CommittedOffset(long Offset, int LeaderEpoch, string? Metadata, long CommitTimestampMs, long Sequence);
