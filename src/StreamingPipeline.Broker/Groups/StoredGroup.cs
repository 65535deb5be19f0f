using StreamingPipeline.Broker.Log;

namespace StreamingPipeline.Broker.Groups;

/// <summary>
/// What the offsets file holds for one group, in memory. Guarded by <see cref="Lock"/>: <see cref="OffsetStore"/>'s
/// writer loop changes it after each write reaches the file, readers copy out of it.
/// </summary>
internal sealed class StoredGroup
{
    public Lock Lock { get; } = new();

    /// <summary>Whether a <see cref="GroupRecordedEntry"/> was written for the group.</summary>
    public bool HasRecord { get; set; }

    public string? ProtocolType { get; set; }

    public int GenerationId { get; set; }

    public Dictionary<TopicPartition, CommittedOffset> Offsets { get; } = [];

    /// <summary>Transactional offsets staged per producer id, waiting for the transaction's end.</summary>
    public Dictionary<long, Dictionary<TopicPartition, CommittedOffset>> PendingByProducer { get; } = [];
}
