using StreamingPipeline.Protocol;

namespace StreamingPipeline.Broker.Groups;

/// <summary>Whether the offset of one partition was committed.</summary>
public sealed record OffsetCommitPartitionResult(string Topic, int Partition, ErrorCode Error);
