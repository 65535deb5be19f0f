using System.Buffers.Binary;
using System.Text;
using StreamingPipeline.Broker.Log;
using StreamingPipeline.Storage;

namespace StreamingPipeline.Broker.Tests.Log;

/// <summary>
/// Builds valid v2 record batches (uncompressed, zig-zag varint records, CRC-32C) the way a producer does, with base
/// offset 0, and reads their records back.
/// </summary>
internal static class RecordBatchBuilder
{
    public const long DefaultTimestamp = 1_700_000_000_000;

    /// <summary>A batch of <paramref name="count"/> records with values "v{i}" padded to <paramref name="valueSize"/> bytes.</summary>
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

    /// <summary>A batch of the given records, optionally as an idempotent/transactional producer or a control batch.</summary>
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
        BinaryPrimitives.WriteInt64BigEndian(batch, 0);
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(8), batch.Length - RecordBatchHeader.LogOverhead);
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(12), -1);
        batch[16] = 2;
        short attributes = 0;
        if (transactional)
        {
            attributes |= 0x10;
        }
        if (control)
        {
            attributes |= 0x20;
        }
        BinaryPrimitives.WriteInt16BigEndian(batch.AsSpan(21), attributes);
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(23), records.Count - 1);
        BinaryPrimitives.WriteInt64BigEndian(batch.AsSpan(27), baseTimestamp);
        BinaryPrimitives.WriteInt64BigEndian(batch.AsSpan(35), maxTimestamp);
        BinaryPrimitives.WriteInt64BigEndian(batch.AsSpan(43), producerId);
        BinaryPrimitives.WriteInt16BigEndian(batch.AsSpan(51), producerEpoch);
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(53), baseSequence);
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(57), records.Count);
        body.CopyTo(batch, RecordBatchHeader.Size);
        BinaryPrimitives.WriteUInt32BigEndian(batch.AsSpan(17), Crc32C.Compute(batch.AsSpan(21)));
        return batch;
    }

    /// <summary>The bytes of several batches back to back, as one produce request carries them.</summary>
    public static byte[] Concat(params byte[][] batches) => batches.SelectMany(b => b).ToArray();

    /// <summary>Decodes every record of every batch in <paramref name="records"/>, checking each batch's CRC.</summary>
    public static List<TestRecord> ReadRecords(ReadOnlySpan<byte> records)
    {
        var result = new List<TestRecord>();
        var position = 0;
        while (position < records.Length)
        {
            var batch = records[position..];
            var header = new RecordBatchHeader(batch);
            batch = batch[..header.TotalSize];
            Assert.Equal(header.Crc, RecordBatchHeader.ComputeCrc(batch));
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
