namespace StreamingPipeline.Broker.Groups;

/// <summary>A topic partition as a dictionary key inside the coordinator.</summary>
internal readonly record struct TopicPartitionKey(string Topic, int Partition);
