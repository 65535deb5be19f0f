using System.Buffers.Binary;
using StreamingPipeline.Storage;

namespace StreamingPipeline.Broker.Log;

/// <summary>
/// A read-only view of the 61-byte header of a v2 record batch (Kafka's "magic 2" format), exactly as it lies on the
/// wire and in a segment file. Offsets of the fields follow docs/implementation.html of the Kafka documentation.
/// </summary>
internal readonly ref struct RecordBatchHeader
{
    /// <summary>Bytes in the fixed header, before the first record.</summary>
    public const int Size = 61;

    /// <summary>Bytes before the batchLength field's value counts (baseOffset + batchLength).</summary>
    public const int LogOverhead = 12;

    /// <summary>The only record batch format this broker stores.</summary>
    public const byte CurrentMagic = 2;

    internal const int BaseOffsetPosition = 0;
    internal const int BatchLengthPosition = 8;
    internal const int PartitionLeaderEpochPosition = 12;
    internal const int MagicPosition = 16;
    internal const int CrcPosition = 17;
    internal const int AttributesPosition = 21;
    internal const int LastOffsetDeltaPosition = 23;
    internal const int BaseTimestampPosition = 27;
    internal const int MaxTimestampPosition = 35;
    internal const int ProducerIdPosition = 43;
    internal const int ProducerEpochPosition = 51;
    internal const int BaseSequencePosition = 53;
    internal const int RecordCountPosition = 57;

    private const short CompressionMask = 0x07;
    private const short TimestampTypeFlag = 0x08;
    private const short TransactionalFlag = 0x10;
    private const short ControlFlag = 0x20;

    /// <summary>
    /// Attribute bit 6 (KIP-534): the base timestamp holds the batch's delete horizon, stamped by the log cleaner
    /// the first time it kept a tombstone or a removable transaction marker in the batch.
    /// </summary>
    internal const short DeleteHorizonFlag = 0x40;

    private readonly ReadOnlySpan<byte> _bytes;

    /// <summary>Wraps the first <see cref="Size"/> bytes of <paramref name="batch"/>; the caller checks the length.</summary>
    public RecordBatchHeader(ReadOnlySpan<byte> batch)
    {
        if (batch.Length < Size)
        {
            throw new ArgumentException($"A record batch header needs {Size} bytes, got {batch.Length}.", nameof(batch));
        }
        _bytes = batch;
    }

    public long BaseOffset => BinaryPrimitives.ReadInt64BigEndian(_bytes[BaseOffsetPosition..]);

    /// <summary>Bytes after the batchLength field; the whole batch is <c>BatchLength + LogOverhead</c> bytes.</summary>
    public int BatchLength => BinaryPrimitives.ReadInt32BigEndian(_bytes[BatchLengthPosition..]);

    /// <summary>The size of the whole batch on disk and on the wire.</summary>
    public int TotalSize => BatchLength + LogOverhead;

    public int PartitionLeaderEpoch => BinaryPrimitives.ReadInt32BigEndian(_bytes[PartitionLeaderEpochPosition..]);
    public byte Magic => _bytes[MagicPosition];
    public uint Crc => BinaryPrimitives.ReadUInt32BigEndian(_bytes[CrcPosition..]);
    public short Attributes => BinaryPrimitives.ReadInt16BigEndian(_bytes[AttributesPosition..]);
    public int LastOffsetDelta => BinaryPrimitives.ReadInt32BigEndian(_bytes[LastOffsetDeltaPosition..]);
    public long BaseTimestamp => BinaryPrimitives.ReadInt64BigEndian(_bytes[BaseTimestampPosition..]);
    public long MaxTimestamp => BinaryPrimitives.ReadInt64BigEndian(_bytes[MaxTimestampPosition..]);
    public long ProducerId => BinaryPrimitives.ReadInt64BigEndian(_bytes[ProducerIdPosition..]);
    public short ProducerEpoch => BinaryPrimitives.ReadInt16BigEndian(_bytes[ProducerEpochPosition..]);
    public int BaseSequence => BinaryPrimitives.ReadInt32BigEndian(_bytes[BaseSequencePosition..]);
    public int RecordCount => BinaryPrimitives.ReadInt32BigEndian(_bytes[RecordCountPosition..]);

    /// <summary>0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd. The broker stores batches as sent and never decompresses.</summary>
    public int CompressionType => Attributes & CompressionMask;
    public bool IsLogAppendTime => (Attributes & TimestampTypeFlag) != 0;
    public bool IsTransactional => (Attributes & TransactionalFlag) != 0;
    public bool IsControl => (Attributes & ControlFlag) != 0;

    /// <summary>True when the cleaner stamped a delete horizon into the batch (KIP-534).</summary>
    public bool HasDeleteHorizon => (Attributes & DeleteHorizonFlag) != 0;

    /// <summary>
    /// When the batch's tombstones and (for a control batch) its marker may be removed: the base timestamp when
    /// <see cref="HasDeleteHorizon"/>, else null.
    /// </summary>
    public long? DeleteHorizonMs => HasDeleteHorizon ? BaseTimestamp : null;

    /// <summary>True when the batch carries a producer id (idempotent or transactional producer).</summary>
    public bool HasProducerId => ProducerId >= 0;

    /// <summary>The offset of the batch's last record.</summary>
    public long LastOffset => BaseOffset + LastOffsetDelta;

    /// <summary>The sequence number of the batch's last record, wrapping at int.MaxValue as Kafka does.</summary>
    public int LastSequence => BaseSequence < 0 ? -1 : (int)(((long)BaseSequence + LastOffsetDelta) % ((long)int.MaxValue + 1));

    /// <summary>The CRC-32C a v2 batch must carry: over everything from the attributes to the end of the batch.</summary>
    public static uint ComputeCrc(ReadOnlySpan<byte> batch) => Crc32C.Compute(batch[AttributesPosition..]);

    /// <summary>Stamps the offset the log assigned; the CRC does not cover it, so the batch stays valid.</summary>
    public static void WriteBaseOffset(Span<byte> batch, long baseOffset) =>
        BinaryPrimitives.WriteInt64BigEndian(batch[BaseOffsetPosition..], baseOffset);

    /// <summary>Stamps the partition leader epoch, as a Kafka leader does; not covered by the CRC either.</summary>
    public static void WritePartitionLeaderEpoch(Span<byte> batch, int epoch) =>
        BinaryPrimitives.WriteInt32BigEndian(batch[PartitionLeaderEpochPosition..], epoch);

    /// <summary>
    /// Turns a batch into a LogAppendTime batch: sets the timestamp-type attribute and the max timestamp (which then
    /// stands for every record's timestamp) and recomputes the CRC, since both fields are covered by it.
    /// </summary>
    public static void WriteLogAppendTime(Span<byte> batch, long appendTimeMs)
    {
        var attributes = BinaryPrimitives.ReadInt16BigEndian(batch[AttributesPosition..]);
        BinaryPrimitives.WriteInt16BigEndian(batch[AttributesPosition..], (short)(attributes | TimestampTypeFlag));
        BinaryPrimitives.WriteInt64BigEndian(batch[MaxTimestampPosition..], appendTimeMs);
        BinaryPrimitives.WriteUInt32BigEndian(batch[CrcPosition..], ComputeCrc(batch));
    }
}
