using StreamingPipeline.Protocol;

namespace StreamingPipeline.Broker.Groups;

/// <summary>An offset to commit for one partition.</summary>
/// <param name="Topic">The topic.</param>
/// <param name="Partition">The partition index.</param>
/// <param name="Offset">The next offset the group will consume.</param>
/// <param name="LeaderEpoch">The leader epoch of the last consumed record, or -1.</param>
/// <param name="Metadata">The client's string kept with the offset, or null.</param>
public sealed record OffsetCommitPartition(string Topic, int Partition, long Offset, int LeaderEpoch, string? Metadata);

/// <summary>Whether the offset of one partition was committed.</summary>
public sealed record OffsetCommitPartitionResult(string Topic, int Partition, ErrorCode Error);
