namespace StreamingPipeline.Broker;

/// <summary>Where one partition's log stands.</summary>
/// <param name="Topic">The topic.</param>
/// <param name="Partition">The partition.</param>
/// <param name="LogStartOffset">The first offset still held.</param>
/// <param name="LogEndOffset">The offset the next record gets (the high watermark of this single-node broker).</param>
/// <param name="LastStableOffset">The end a read_committed consumer may read to: below the first open transaction.</param>
public readonly record struct PartitionOffsets(string Topic, int Partition, long LogStartOffset, long LogEndOffset, long LastStableOffset);
