using StreamingPipeline.Broker.Log;

namespace StreamingPipeline.Broker.Groups;

// The closed set of entries the offsets file holds; OffsetsLogCodec gives each its type byte and layout.

/// <summary>One entry of the offsets file.</summary>
internal abstract record OffsetsLogEntry;

/// <summary>Offsets a group committed in one OffsetCommit call; written as one entry so the call is atomic on disk.</summary>
internal sealed record OffsetsCommittedEntry(string GroupId, IReadOnlyList<StoredOffset> Offsets) : OffsetsLogEntry;

/// <summary>Offsets a transactional producer staged for a group; visible once a <see cref="TransactionCompletedEntry"/> commits them.</summary>
internal sealed record TransactionalOffsetsStagedEntry(long ProducerId, string GroupId, IReadOnlyList<StoredOffset> Offsets) : OffsetsLogEntry;

/// <summary>The end of a producer's transaction: its staged offsets, in every group, become committed or are dropped.</summary>
internal sealed record TransactionCompletedEntry(long ProducerId, bool Committed) : OffsetsLogEntry;

/// <summary>A group's protocol type and generation, so an empty group keeps them across a restart.</summary>
internal sealed record GroupRecordedEntry(string GroupId, string? ProtocolType, int GenerationId) : OffsetsLogEntry;

/// <summary>Committed offsets removed (retention expiry or an OffsetDelete).</summary>
internal sealed record OffsetsDeletedEntry(string GroupId, IReadOnlyList<TopicPartition> Partitions) : OffsetsLogEntry;

/// <summary>A group removed with everything it stored.</summary>
internal sealed record GroupDeletedEntry(string GroupId) : OffsetsLogEntry;

/// <summary>One partition's offset as an entry carries it.</summary>
internal sealed record StoredOffset(string Topic, int Partition, long Offset, int LeaderEpoch, string? Metadata, long CommitTimestampMs);
