using StreamingPipeline.Protocol;

namespace StreamingPipeline.Broker.Groups;

/// <summary>The committed offset of one partition: -1, leader epoch -1 and empty metadata when there is none.</summary>
public sealed record OffsetFetchPartitionResult(string Topic, int Partition, long Offset, int LeaderEpoch, string Metadata, ErrorCode Error);
