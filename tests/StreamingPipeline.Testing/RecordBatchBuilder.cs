using System.Buffers.Binary;
using System.Text;
using StreamingPipeline.Broker.Log;
using StreamingPipeline.Broker.Transactions;

namespace StreamingPipeline.Testing;

/// <summary>
/// Builds v2 record batches the way a producer does (uncompressed, zig-zag varint records, CRC-32C, base offset 0 unless
/// given) and reads their records back, for tests that talk to a log or the producer state without a client.
/// </summary>
public static class RecordBatchBuilder
{
    /// <summary>The first record's timestamp unless a test picks one (November 2023).</summary>
    public const long DefaultTimestamp = 1_700_000_000_000;

    private const short TransactionalFlag = 0x10;
    private const short ControlFlag = 0x20;

    /// <summary>A batch of <paramref name="count"/> records, keys "k{i}", values "{prefix}{i}" padded to <paramref name="valueSize"/> bytes.</summary>
    public static byte[] Build(int count, long firstTimestamp = DefaultTimestamp, long timestampStep = 1, int valueSize = 16, string prefix = "v")
    {
        var values = new (byte[]? Key, byte[]? Value, long Timestamp)[count];
        for (var i = 0; i < count; i++)
        {
            var text = $"{prefix}{i}".PadRight(valueSize, '.');
            values[i] = (Encoding.UTF8.GetBytes($"k{i}"), Encoding.UTF8.GetBytes(text), firstTimestamp + (i * timestampStep));
        }
        return Build(values);
    }

    /// <summary>A batch of the given records, optionally as an idempotent/transactional producer sends it, or a control batch.</summary>
    public static byte[] Build(
        IReadOnlyList<(byte[]? Key, byte[]? Value, long Timestamp)> records,
        long producerId = -1,
        short producerEpoch = -1,
        int baseSequence = -1,
        bool transactional = false,
        bool control = false)
    {
        var body = new List<byte>();
        var baseTimestamp = records.Count == 0 ? DefaultTimestamp : records[0].Timestamp;
        var maxTimestamp = records.Count == 0 ? DefaultTimestamp : records.Max(r => r.Timestamp);
        for (var i = 0; i < records.Count; i++)
        {
            var record = new List<byte> { 0 };
            WriteVarLong(record, records[i].Timestamp - baseTimestamp);
            WriteVarLong(record, i);
            WriteBytes(record, records[i].Key);
            WriteBytes(record, records[i].Value);
            WriteVarLong(record, 0);
            WriteVarLong(body, record.Count);
            body.AddRange(record);
        }
        var batch = new byte[RecordBatchHeader.Size + body.Count];
        body.CopyTo(batch, RecordBatchHeader.Size);
        var attributes = (short)((transactional ? TransactionalFlag : 0) | (control ? ControlFlag : 0));
        WriteHeader(batch, 0, attributes, records.Count, baseTimestamp, maxTimestamp, producerId, producerEpoch, baseSequence);
        return batch;
    }

    /// <summary>
    /// A batch with a real header and no record bytes, for producer-state tests, which read headers only: its record
    /// count, sequence numbers and offsets are what the header says.
    /// </summary>
    public static byte[] HeaderOnly(
        long producerId = -1,
        short producerEpoch = -1,
        int baseSequence = -1,
        int recordCount = 1,
        bool transactional = false,
        long baseOffset = 0,
        long timestamp = 1_000)
    {
        var batch = new byte[RecordBatchHeader.Size];
        WriteHeader(batch, baseOffset, transactional ? TransactionalFlag : (short)0, recordCount, timestamp, timestamp, producerId, producerEpoch, baseSequence);
        return batch;
    }

    /// <summary>A transaction marker (control batch) as the transaction coordinator writes it.</summary>
    public static byte[] Marker(long producerId, short producerEpoch, bool commit, int coordinatorEpoch = 0) =>
        ControlBatch.Build(producerId, producerEpoch, commit ? ControlRecordType.Commit : ControlRecordType.Abort, coordinatorEpoch, 2_000);

    /// <summary>The bytes of several batches back to back, as one produce request carries them.</summary>
    public static byte[] Concat(params byte[][] batches) => batches.SelectMany(b => b).ToArray();

    /// <summary>Decodes every record of every batch in <paramref name="records"/> (compressed ones decompressed), checking each batch's CRC.</summary>
    public static List<TestRecord> ReadRecords(ReadOnlySpan<byte> records)
    {
        var result = new List<TestRecord>();
        var position = 0;
        while (position < records.Length)
        {
            var batch = records[position..];
            var header = new RecordBatchHeader(batch);
            batch = batch[..header.TotalSize];
            if (header.Crc != RecordBatchHeader.ComputeCrc(batch))
            {
                throw new InvalidDataException($"The batch at offset {header.BaseOffset} fails its CRC check.");
            }
            if (header.CompressionType != RecordCodec.None && header.RecordCount > 0)
            {
                batch = BatchDecompressor.Decompress(batch);
            }
            var cursor = RecordBatchHeader.Size;
            for (var i = 0; i < header.RecordCount; i++)
            {
                var length = ReadVarLong(batch, ref cursor);
                var end = cursor + (int)length;
                cursor++;
                var timestampDelta = ReadVarLong(batch, ref cursor);
                var offsetDelta = ReadVarLong(batch, ref cursor);
                var key = ReadBytes(batch, ref cursor);
                var value = ReadBytes(batch, ref cursor);
                var timestamp = header.IsLogAppendTime ? header.MaxTimestamp : header.BaseTimestamp + timestampDelta;
                result.Add(new TestRecord(header.BaseOffset + offsetDelta, timestamp, key, value));
                cursor = end;
            }
            position += header.TotalSize;
        }
        return result;
    }

    /// <summary>The same batches with their records compressed with <paramref name="codec"/> (a <see cref="RecordCodec"/> id), as a producer compresses them.</summary>
    public static byte[] Compress(byte[] batches, int codec) => BatchRecompressor.Recompress(batches, codec) ?? batches;

    /// <summary>The (base offset, record count) of each batch in <paramref name="records"/>.</summary>
    public static List<(long BaseOffset, int Count)> ReadBatchOffsets(ReadOnlySpan<byte> records)
    {
        var result = new List<(long, int)>();
        var position = 0;
        while (position < records.Length)
        {
            var header = new RecordBatchHeader(records[position..]);
            result.Add((header.BaseOffset, header.RecordCount));
            position += header.TotalSize;
        }
        return result;
    }

    /// <summary>Fills the 61-byte header of <paramref name="batch"/> (records already in place) and its CRC.</summary>
    private static void WriteHeader(
        Span<byte> batch,
        long baseOffset,
        short attributes,
        int recordCount,
        long baseTimestamp,
        long maxTimestamp,
        long producerId,
        short producerEpoch,
        int baseSequence)
    {
        BinaryPrimitives.WriteInt64BigEndian(batch[RecordBatchHeader.BaseOffsetPosition..], baseOffset);
        BinaryPrimitives.WriteInt32BigEndian(batch[RecordBatchHeader.BatchLengthPosition..], batch.Length - RecordBatchHeader.LogOverhead);
        BinaryPrimitives.WriteInt32BigEndian(batch[RecordBatchHeader.PartitionLeaderEpochPosition..], -1);
        batch[RecordBatchHeader.MagicPosition] = RecordBatchHeader.CurrentMagic;
        BinaryPrimitives.WriteInt16BigEndian(batch[RecordBatchHeader.AttributesPosition..], attributes);
        BinaryPrimitives.WriteInt32BigEndian(batch[RecordBatchHeader.LastOffsetDeltaPosition..], recordCount - 1);
        BinaryPrimitives.WriteInt64BigEndian(batch[RecordBatchHeader.BaseTimestampPosition..], baseTimestamp);
        BinaryPrimitives.WriteInt64BigEndian(batch[RecordBatchHeader.MaxTimestampPosition..], maxTimestamp);
        BinaryPrimitives.WriteInt64BigEndian(batch[RecordBatchHeader.ProducerIdPosition..], producerId);
        BinaryPrimitives.WriteInt16BigEndian(batch[RecordBatchHeader.ProducerEpochPosition..], producerEpoch);
        BinaryPrimitives.WriteInt32BigEndian(batch[RecordBatchHeader.BaseSequencePosition..], baseSequence);
        BinaryPrimitives.WriteInt32BigEndian(batch[RecordBatchHeader.RecordCountPosition..], recordCount);
        BinaryPrimitives.WriteUInt32BigEndian(batch[RecordBatchHeader.CrcPosition..], RecordBatchHeader.ComputeCrc(batch));
    }

    private static void WriteBytes(List<byte> target, byte[]? bytes)
    {
        if (bytes is null)
        {
            WriteVarLong(target, -1);
            return;
        }
        WriteVarLong(target, bytes.Length);
        target.AddRange(bytes);
    }

    private static void WriteVarLong(List<byte> target, long value)
    {
        var zigzag = (ulong)((value << 1) ^ (value >> 63));
        while (zigzag >= 0x80)
        {
            target.Add((byte)(zigzag | 0x80));
            zigzag >>= 7;
        }
        target.Add((byte)zigzag);
    }

    private static long ReadVarLong(ReadOnlySpan<byte> bytes, ref int position)
    {
        ulong raw = 0;
        var shift = 0;
        while (true)
        {
            var b = bytes[position++];
            raw |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return (long)(raw >> 1) ^ -(long)(raw & 1);
            }
            shift += 7;
        }
    }

    private static byte[]? ReadBytes(ReadOnlySpan<byte> bytes, ref int position)
    {
        var length = ReadVarLong(bytes, ref position);
        if (length < 0)
        {
            return null;
        }
        var result = bytes.Slice(position, (int)length).ToArray();
        position += (int)length;
        return result;
    }
}
