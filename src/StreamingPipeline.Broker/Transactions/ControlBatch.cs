using System.Buffers.Binary;
using StreamingPipeline.Broker.Log;
using StreamingPipeline.Storage;

namespace StreamingPipeline.Broker.Transactions;

/// <summary>
/// Builds and reads the v2 control batches that end a transaction in a partition (implementation.html, "Control
/// Batches"): one record whose key is <c>[version int16 = 0][type int16]</c> and whose value is
/// <c>[version int16 = 0][coordinatorEpoch int32]</c>, in a batch flagged transactional + control, with the
/// producer's id and epoch, no sequence (-1), and a CRC-32C over everything from the attributes on.
/// </summary>
public static class ControlBatch
{
    /// <summary>Bytes in the single control record: 1 length byte and 16 bytes of body.</summary>
    public const int RecordSize = 17;

    /// <summary>Bytes in a whole marker batch.</summary>
    public const int Size = RecordSize + RecordBatchHeader.Size;

    /// <summary>The attributes of a marker batch: transactional (bit 4) and control (bit 5), no compression.</summary>
    public const short MarkerAttributes = 0x10 | 0x20;

    private const short ControlKeyVersion = 0;
    private const short MarkerValueVersion = 0;
    private const int ControlKeySize = 4;
    private const int MarkerValueSize = 6;

    /// <summary>Writes a COMMIT or ABORT marker batch into the first <see cref="Size"/> bytes of <paramref name="destination"/>.</summary>
    /// <param name="destination">At least <see cref="Size"/> bytes.</param>
    /// <param name="producerId">The producer whose transaction ends.</param>
    /// <param name="producerEpoch">The epoch the coordinator decided with (after a fence it is the bumped one).</param>
    /// <param name="type">COMMIT or ABORT.</param>
    /// <param name="coordinatorEpoch">The transaction coordinator's epoch; 0 on this single-node broker.</param>
    /// <param name="timestampMs">The marker's timestamp, used for both base and max timestamp.</param>
    /// <param name="baseOffset">Usually 0: the log rewrites it when it assigns the offset.</param>
    /// <param name="partitionLeaderEpoch">The partition leader epoch; outside the CRC, so the log may rewrite it too.</param>
    public static void Write(
        Span<byte> destination,
        long producerId,
        short producerEpoch,
        ControlRecordType type,
        int coordinatorEpoch,
        long timestampMs,
        long baseOffset = 0,
        int partitionLeaderEpoch = 0)
    {
        if (destination.Length < Size)
        {
            throw new ArgumentException($"A control batch needs {Size} bytes.", nameof(destination));
        }
        if (type is not (ControlRecordType.Commit or ControlRecordType.Abort))
        {
            throw new ArgumentOutOfRangeException(nameof(type), type, "Only COMMIT and ABORT markers end transactions.");
        }
        var batch = destination[..Size];
        BinaryPrimitives.WriteInt64BigEndian(batch[RecordBatchHeader.BaseOffsetPosition..], baseOffset);
        BinaryPrimitives.WriteInt32BigEndian(batch[RecordBatchHeader.BatchLengthPosition..], Size - RecordBatchHeader.LogOverhead);
        BinaryPrimitives.WriteInt32BigEndian(batch[RecordBatchHeader.PartitionLeaderEpochPosition..], partitionLeaderEpoch);
        batch[RecordBatchHeader.MagicPosition] = RecordBatchHeader.CurrentMagic;
        BinaryPrimitives.WriteInt16BigEndian(batch[RecordBatchHeader.AttributesPosition..], MarkerAttributes);
        BinaryPrimitives.WriteInt32BigEndian(batch[RecordBatchHeader.LastOffsetDeltaPosition..], 0);
        BinaryPrimitives.WriteInt64BigEndian(batch[RecordBatchHeader.BaseTimestampPosition..], timestampMs);
        BinaryPrimitives.WriteInt64BigEndian(batch[RecordBatchHeader.MaxTimestampPosition..], timestampMs);
        BinaryPrimitives.WriteInt64BigEndian(batch[RecordBatchHeader.ProducerIdPosition..], producerId);
        BinaryPrimitives.WriteInt16BigEndian(batch[RecordBatchHeader.ProducerEpochPosition..], producerEpoch);
        BinaryPrimitives.WriteInt32BigEndian(batch[RecordBatchHeader.BaseSequencePosition..], -1);
        BinaryPrimitives.WriteInt32BigEndian(batch[RecordBatchHeader.RecordCountPosition..], 1);

        // The record, varints zigzag-encoded; every value here fits one byte.
        var record = batch[RecordBatchHeader.Size..];
        record[0] = ZigZag(RecordSize - 1); // length of the record body
        record[1] = 0; // attributes
        record[2] = ZigZag(0); // timestampDelta
        record[3] = ZigZag(0); // offsetDelta
        record[4] = ZigZag(ControlKeySize);
        BinaryPrimitives.WriteInt16BigEndian(record[5..], ControlKeyVersion);
        BinaryPrimitives.WriteInt16BigEndian(record[7..], (short)type);
        record[9] = ZigZag(MarkerValueSize);
        BinaryPrimitives.WriteInt16BigEndian(record[10..], MarkerValueVersion);
        BinaryPrimitives.WriteInt32BigEndian(record[12..], coordinatorEpoch);
        record[16] = ZigZag(0); // header count

        var crc = Crc32C.Compute(batch[RecordBatchHeader.AttributesPosition..]);
        BinaryPrimitives.WriteUInt32BigEndian(batch[RecordBatchHeader.CrcPosition..], crc);
    }

    /// <summary>A new array holding a marker batch; see <see cref="Write"/>.</summary>
    public static byte[] Build(
        long producerId,
        short producerEpoch,
        ControlRecordType type,
        int coordinatorEpoch,
        long timestampMs,
        long baseOffset = 0,
        int partitionLeaderEpoch = 0)
    {
        var bytes = new byte[Size];
        Write(bytes, producerId, producerEpoch, type, coordinatorEpoch, timestampMs, baseOffset, partitionLeaderEpoch);
        return bytes;
    }

    /// <summary>
    /// Reads the end-transaction marker of a control batch. Returns false for a control batch that holds no COMMIT or
    /// ABORT record (another control type, or a batch emptied by compaction); throws when the record is malformed.
    /// </summary>
    public static bool TryReadMarker(ReadOnlySpan<byte> batch, out TransactionMarker marker)
    {
        marker = default;
        var header = new RecordBatchHeader(batch);
        if (!header.IsControl)
        {
            throw new ArgumentException("Not a control batch.", nameof(batch));
        }
        if (header.RecordCount < 1 || header.CompressionType != 0 || batch.Length <= RecordBatchHeader.Size)
        {
            return false;
        }
        var reader = new VarintReader(batch[RecordBatchHeader.Size..Math.Min(batch.Length, header.TotalSize)]);
        reader.ReadVarint(); // record length
        reader.Skip(1); // attributes
        reader.ReadVarlong(); // timestampDelta
        reader.ReadVarint(); // offsetDelta
        var keyLength = reader.ReadVarint();
        if (keyLength < ControlKeySize)
        {
            throw new InvalidDataException($"A control record key needs {ControlKeySize} bytes, found {keyLength}.");
        }
        var key = reader.Take(keyLength);
        var keyVersion = BinaryPrimitives.ReadInt16BigEndian(key);
        if (keyVersion < 0)
        {
            throw new InvalidDataException($"Invalid control record key version {keyVersion}.");
        }
        var type = BinaryPrimitives.ReadInt16BigEndian(key[2..]);
        if (type is not ((short)ControlRecordType.Abort or (short)ControlRecordType.Commit))
        {
            return false;
        }
        var valueLength = reader.ReadVarint();
        if (valueLength < MarkerValueSize)
        {
            throw new InvalidDataException($"A transaction marker value needs {MarkerValueSize} bytes, found {valueLength}.");
        }
        var value = reader.Take(valueLength);
        marker = new TransactionMarker((ControlRecordType)type, BinaryPrimitives.ReadInt32BigEndian(value[2..]));
        return true;
    }

    private static byte ZigZag(int value) => (byte)((value << 1) ^ (value >> 31));

    /// <summary>Reads protobuf-style zigzag varints from a span.</summary>
    private ref struct VarintReader(ReadOnlySpan<byte> bytes)
    {
        private ReadOnlySpan<byte> _bytes = bytes;

        public int ReadVarint() => checked((int)ReadVarlong());

        public long ReadVarlong()
        {
            ulong raw = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                if (_bytes.IsEmpty)
                {
                    throw new InvalidDataException("A control record ends inside a varint.");
                }
                var b = _bytes[0];
                _bytes = _bytes[1..];
                raw |= (ulong)(b & 0x7F) << shift;
                if ((b & 0x80) == 0)
                {
                    return (long)(raw >> 1) ^ -(long)(raw & 1);
                }
            }
            throw new InvalidDataException("A varint in a control record is longer than 10 bytes.");
        }

        public void Skip(int count) => Take(count);

        public ReadOnlySpan<byte> Take(int count)
        {
            if (count < 0 || count > _bytes.Length)
            {
                throw new InvalidDataException("A control record is shorter than its lengths say.");
            }
            var taken = _bytes[..count];
            _bytes = _bytes[count..];
            return taken;
        }
    }
}
