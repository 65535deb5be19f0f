namespace StreamingPipeline.Broker.Log;

/// <summary>One partition of a topic, the key of what the coordinators keep per partition.</summary>
public readonly record struct TopicPartition(string Topic, int Partition);
