namespace StreamingPipeline.Broker.Log;

/// <summary>A topic as the log manager knows it: name, id, partition count, effective config and the explicit overrides.</summary>
internal sealed record TopicInfo(
    string Name,
    Guid TopicId,
    int PartitionCount,
    LogConfig Config,
    IReadOnlyDictionary<string, string> ConfigOverrides);
