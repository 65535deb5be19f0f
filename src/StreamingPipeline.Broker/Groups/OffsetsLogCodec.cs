using StreamingPipeline.Broker.Log;
using StreamingPipeline.Storage;

namespace StreamingPipeline.Broker.Groups;

/// <summary>
/// The layout of the offsets file's entries. Each is a <see cref="ChecksummedFrame"/> (version 2) whose payload starts
/// with the entry type. All integers are big-endian; strings are an int32 UTF-8 byte count (-1 for null) and the bytes.
/// Version 1 frames, written before the durable-file kit, had a one-byte version (1) before the same payload; read as
/// a two-byte version that is <c>0x01tt</c>, with the entry type tt, so both are read and only version 2 is written.
/// </summary>
internal static class OffsetsLogCodec
{
    /// <summary>The frame version this code writes; a file with an unknown one is refused, not misread.</summary>
    public const short FormatVersion = 2;

    private const int LegacyVersion = 1;

    private enum EntryType : byte
    {
        OffsetsCommitted = 1,
        TransactionalOffsetsStaged = 2,
        TransactionCompleted = 3,
        GroupRecorded = 4,
        OffsetsDeleted = 5,
        GroupDeleted = 6,
    }

    public static void WriteFrame(OffsetsLogBuffer buffer, OffsetsLogEntry entry)
    {
        buffer.BeginFrame(FormatVersion);
        switch (entry)
        {
            case OffsetsCommittedEntry committed:
                buffer.WriteByte((byte)EntryType.OffsetsCommitted);
                buffer.WriteString(committed.GroupId);
                WriteOffsets(buffer, committed.Offsets);
                break;
            case TransactionalOffsetsStagedEntry staged:
                buffer.WriteByte((byte)EntryType.TransactionalOffsetsStaged);
                buffer.WriteInt64(staged.ProducerId);
                buffer.WriteString(staged.GroupId);
                WriteOffsets(buffer, staged.Offsets);
                break;
            case TransactionCompletedEntry completed:
                buffer.WriteByte((byte)EntryType.TransactionCompleted);
                buffer.WriteInt64(completed.ProducerId);
                buffer.WriteByte(completed.Committed ? (byte)1 : (byte)0);
                break;
            case GroupRecordedEntry recorded:
                buffer.WriteByte((byte)EntryType.GroupRecorded);
                buffer.WriteString(recorded.GroupId);
                buffer.WriteString(recorded.ProtocolType);
                buffer.WriteInt32(recorded.GenerationId);
                break;
            case OffsetsDeletedEntry deleted:
                buffer.WriteByte((byte)EntryType.OffsetsDeleted);
                buffer.WriteString(deleted.GroupId);
                buffer.WriteInt32(deleted.Partitions.Count);
                foreach (var partition in deleted.Partitions)
                {
                    buffer.WriteString(partition.Topic);
                    buffer.WriteInt32(partition.Partition);
                }
                break;
            case GroupDeletedEntry groupDeleted:
                buffer.WriteByte((byte)EntryType.GroupDeleted);
                buffer.WriteString(groupDeleted.GroupId);
                break;
            default:
                throw new ArgumentException($"No layout for {entry.GetType().Name}.", nameof(entry));
        }
        buffer.EndFrame();
    }

    /// <summary>
    /// Decodes the payload of a frame whose checksum already matched. An unknown frame version, or a payload that does
    /// not parse, is a format error: dropping a whole, checksummed entry would lose offsets.
    /// </summary>
    public static OffsetsLogEntry ReadFrame(short version, ReadOnlySpan<byte> payload)
    {
        if (version == FormatVersion)
        {
            var reader = new OffsetsLogPayloadReader(payload);
            return ReadPayload((EntryType)reader.ReadByte(), ref reader);
        }
        if (version >> 8 == LegacyVersion)
        {
            var reader = new OffsetsLogPayloadReader(payload);
            return ReadPayload((EntryType)(version & 0xFF), ref reader);
        }
        throw new InvalidDataException($"The offsets log has an entry in format version {version}; this broker reads versions {LegacyVersion} and {FormatVersion}.");
    }

    private static OffsetsLogEntry ReadPayload(EntryType type, ref OffsetsLogPayloadReader reader)
    {
        OffsetsLogEntry entry = type switch
        {
            EntryType.OffsetsCommitted => new OffsetsCommittedEntry(reader.ReadString(), ReadOffsets(ref reader)),
            EntryType.TransactionalOffsetsStaged =>
                new TransactionalOffsetsStagedEntry(reader.ReadInt64(), reader.ReadString(), ReadOffsets(ref reader)),
            EntryType.TransactionCompleted => new TransactionCompletedEntry(reader.ReadInt64(), reader.ReadByte() != 0),
            EntryType.GroupRecorded => new GroupRecordedEntry(reader.ReadString(), reader.ReadNullableString(), reader.ReadInt32()),
            EntryType.OffsetsDeleted => new OffsetsDeletedEntry(reader.ReadString(), ReadPartitions(ref reader)),
            EntryType.GroupDeleted => new GroupDeletedEntry(reader.ReadString()),
            _ => throw new InvalidDataException($"Unknown offsets log entry type {(byte)type}."),
        };
        if (!reader.IsAtEnd)
        {
            throw new InvalidDataException($"Trailing bytes after a {type} entry.");
        }
        return entry;
    }

    private static void WriteOffsets(OffsetsLogBuffer buffer, IReadOnlyList<StoredOffset> offsets)
    {
        buffer.WriteInt32(offsets.Count);
        foreach (var offset in offsets)
        {
            buffer.WriteString(offset.Topic);
            buffer.WriteInt32(offset.Partition);
            buffer.WriteInt64(offset.Offset);
            buffer.WriteInt32(offset.LeaderEpoch);
            buffer.WriteString(offset.Metadata);
            buffer.WriteInt64(offset.CommitTimestampMs);
        }
    }

    private static StoredOffset[] ReadOffsets(ref OffsetsLogPayloadReader reader)
    {
        var offsets = new StoredOffset[ReadCount(ref reader)];
        for (var i = 0; i < offsets.Length; i++)
        {
            offsets[i] = new StoredOffset(
                reader.ReadString(), reader.ReadInt32(), reader.ReadInt64(), reader.ReadInt32(), reader.ReadNullableString(), reader.ReadInt64());
        }
        return offsets;
    }

    private static TopicPartition[] ReadPartitions(ref OffsetsLogPayloadReader reader)
    {
        var partitions = new TopicPartition[ReadCount(ref reader)];
        for (var i = 0; i < partitions.Length; i++)
        {
            partitions[i] = new TopicPartition(reader.ReadString(), reader.ReadInt32());
        }
        return partitions;
    }

    private static int ReadCount(ref OffsetsLogPayloadReader reader)
    {
        var count = reader.ReadInt32();
        // Every element takes more than one byte, so a count above the frame limit cannot be genuine.
        if (count < 0 || count > ChecksummedFrame.MaxFrameSize)
        {
            throw new InvalidDataException($"Implausible element count {count} in an offsets log entry.");
        }
        return count;
    }
}
