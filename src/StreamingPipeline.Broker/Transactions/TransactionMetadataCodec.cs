using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Text;
using StreamingPipeline.Broker.Log;

namespace StreamingPipeline.Broker.Transactions;

/// <summary>
/// The payload of a transaction-log entry (v0), big-endian: <c>[idLength int16][id utf8][isTombstone int8]</c>, then
/// unless a tombstone <c>[producerId int64][previousProducerId int64][epoch int16][lastEpoch int16][timeoutMs int32]
/// [state int8][startMs int64][lastUpdateMs int64][partitionCount int32]([topicLength int16][topic][partition int32])*
/// [groupCount int32]([groupLength int16][group])*</c>.
/// </summary>
internal static class TransactionMetadataCodec
{
    public const short Version = 0;

    public static byte[] Encode(TransactionMetadata metadata)
    {
        var size = StringSize(metadata.TransactionalId) + 1 + 8 + 8 + 2 + 2 + 4 + 1 + 8 + 8 + 4 + 4;
        foreach (var (topic, _) in metadata.Partitions)
        {
            size += StringSize(topic) + 4;
        }
        foreach (var group in metadata.GroupIds)
        {
            size += StringSize(group);
        }
        var payload = new byte[size];
        var writer = new Writer(payload);
        writer.String(metadata.TransactionalId);
        writer.Byte(0);
        writer.Int64(metadata.ProducerId);
        writer.Int64(metadata.PreviousProducerId);
        writer.Int16(metadata.ProducerEpoch);
        writer.Int16(metadata.LastProducerEpoch);
        writer.Int32(metadata.TimeoutMs);
        writer.Byte((byte)metadata.State);
        writer.Int64(metadata.TransactionStartMs);
        writer.Int64(metadata.LastUpdateMs);
        writer.Int32(metadata.Partitions.Count);
        foreach (var (topic, partition) in metadata.Partitions)
        {
            writer.String(topic);
            writer.Int32(partition);
        }
        writer.Int32(metadata.GroupIds.Count);
        foreach (var group in metadata.GroupIds)
        {
            writer.String(group);
        }
        return payload;
    }

    public static byte[] EncodeTombstone(string transactionalId)
    {
        var payload = new byte[StringSize(transactionalId) + 1];
        var writer = new Writer(payload);
        writer.String(transactionalId);
        writer.Byte(1);
        return payload;
    }

    /// <summary>Decodes an entry: the id, and its metadata or null for a tombstone. Throws on malformed bytes.</summary>
    public static (string TransactionalId, TransactionMetadata? Metadata) Decode(ReadOnlySpan<byte> payload)
    {
        var reader = new Reader(payload);
        var id = reader.String();
        if (reader.Byte() != 0)
        {
            return (id, null);
        }
        var producerId = reader.Int64();
        var previousProducerId = reader.Int64();
        var epoch = reader.Int16();
        var lastEpoch = reader.Int16();
        var timeoutMs = reader.Int32();
        var state = (TransactionState)reader.Byte();
        if (!Enum.IsDefined(state))
        {
            throw new InvalidDataException($"Unknown transaction state {(byte)state} for {id}.");
        }
        var startMs = reader.Int64();
        var lastUpdateMs = reader.Int64();
        var partitions = ImmutableHashSet.CreateBuilder<TopicPartition>();
        for (var count = reader.Count(); count > 0; count--)
        {
            var topic = reader.String();
            partitions.Add(new TopicPartition(topic, reader.Int32()));
        }
        var groups = ImmutableHashSet.CreateBuilder<string>(StringComparer.Ordinal);
        for (var count = reader.Count(); count > 0; count--)
        {
            groups.Add(reader.String());
        }
        return (id, new TransactionMetadata(
            id, producerId, previousProducerId, epoch, lastEpoch, timeoutMs, state,
            partitions.ToImmutable(), groups.ToImmutable(), startMs, lastUpdateMs));
    }

    private static int StringSize(string value) => 2 + Encoding.UTF8.GetByteCount(value);

    private ref struct Writer(Span<byte> bytes)
    {
        private Span<byte> _bytes = bytes;

        public void Byte(byte value)
        {
            _bytes[0] = value;
            _bytes = _bytes[1..];
        }

        public void Int16(short value)
        {
            BinaryPrimitives.WriteInt16BigEndian(_bytes, value);
            _bytes = _bytes[2..];
        }

        public void Int32(int value)
        {
            BinaryPrimitives.WriteInt32BigEndian(_bytes, value);
            _bytes = _bytes[4..];
        }

        public void Int64(long value)
        {
            BinaryPrimitives.WriteInt64BigEndian(_bytes, value);
            _bytes = _bytes[8..];
        }

        public void String(string value)
        {
            var length = Encoding.UTF8.GetBytes(value, _bytes[2..]);
            Int16(checked((short)length));
            _bytes = _bytes[length..];
        }
    }

    private ref struct Reader(ReadOnlySpan<byte> bytes)
    {
        private ReadOnlySpan<byte> _bytes = bytes;

        public byte Byte() => Take(1)[0];
        public short Int16() => BinaryPrimitives.ReadInt16BigEndian(Take(2));
        public int Int32() => BinaryPrimitives.ReadInt32BigEndian(Take(4));
        public long Int64() => BinaryPrimitives.ReadInt64BigEndian(Take(8));

        public int Count()
        {
            var count = Int32();
            return count >= 0 && count <= _bytes.Length ? count : throw new InvalidDataException($"Invalid element count {count}.");
        }

        public string String()
        {
            var length = Int16();
            return length >= 0 ? Encoding.UTF8.GetString(Take(length)) : throw new InvalidDataException($"Invalid string length {length}.");
        }

        private ReadOnlySpan<byte> Take(int count)
        {
            if (count > _bytes.Length)
            {
                throw new InvalidDataException("A transaction log entry is shorter than its fields.");
            }
            var taken = _bytes[..count];
            _bytes = _bytes[count..];
            return taken;
        }
    }
}
