using StreamingPipeline.Protocol;

namespace StreamingPipeline.Broker.Groups;

/// <summary>The answer to an OffsetFetch call for one group: a group-level error and the partitions.</summary>
public sealed record OffsetFetchResult(ErrorCode Error, IReadOnlyList<OffsetFetchPartitionResult> Partitions);
