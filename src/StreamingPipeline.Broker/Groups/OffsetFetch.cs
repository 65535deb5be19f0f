using StreamingPipeline.Protocol;

namespace StreamingPipeline.Broker.Groups;

/// <summary>The answer to an OffsetFetch call for one group: a group-level error and the partitions.</summary>
public sealed record OffsetFetchResult(ErrorCode Error, IReadOnlyList<OffsetFetchPartitionResult> Partitions);

/// <summary>The committed offset of one partition: -1, leader epoch -1 and empty metadata when there is none.</summary>
public sealed record OffsetFetchPartitionResult(string Topic, int Partition, long Offset, int LeaderEpoch, string Metadata, ErrorCode Error);
