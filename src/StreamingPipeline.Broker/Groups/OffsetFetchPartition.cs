namespace StreamingPipeline.Broker.Groups;

/// <summary>A partition whose committed offset is asked for.</summary>
public readonly record struct OffsetFetchPartition(string Topic, int Partition);
