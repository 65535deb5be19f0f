using System.Buffers.Binary;
using System.Globalization;
using StreamingPipeline.Storage;

namespace StreamingPipeline.Broker.Transactions;

/// <summary>
/// The file format of producer-state snapshots: one <see cref="ChecksummedFrame"/> per file named
/// <c>{offset:D20}.snapshot</c>, where offset is the first log offset the snapshot does not cover. Payload (v0):
/// <c>[offset int64][producerCount int32]</c>, then per producer <c>[producerId int64][epoch int16]
/// [coordinatorEpoch int32][lastUpdateMs int64][txnFirstOffset int64, -1 for none][batchCount int8]</c> and per
/// retained batch <c>[lastSequence int32][lastOffset int64][offsetDelta int32][timestamp int64]</c>. Unlike Kafka,
/// all five retained batches are kept, so retries after a restart are still recognised as duplicates.
/// </summary>
internal static class ProducerStateSnapshot
{
    public const string Extension = ".snapshot";
    private const short Version = 0;
    private const int ProducerSize = 8 + 2 + 4 + 8 + 8 + 1;
    private const int BatchSize = 4 + 8 + 4 + 8;

    public static string FileNameFor(long offset) => offset.ToString("D20", CultureInfo.InvariantCulture) + Extension;

    /// <summary>The offset a snapshot file's name carries, or null for other files.</summary>
    public static long? OffsetOf(string path)
    {
        var name = Path.GetFileName(path);
        if (!name.EndsWith(Extension, StringComparison.Ordinal))
        {
            return null;
        }
        return long.TryParse(name.AsSpan(0, name.Length - Extension.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var offset)
            ? offset
            : null;
    }

    public static byte[] Encode(long offset, IReadOnlyCollection<ProducerStateEntry> producers)
    {
        var size = 12;
        foreach (var producer in producers)
        {
            size += ProducerSize + (producer.BatchCount * BatchSize);
        }
        var payload = new byte[size];
        var span = payload.AsSpan();
        BinaryPrimitives.WriteInt64BigEndian(span, offset);
        BinaryPrimitives.WriteInt32BigEndian(span[8..], producers.Count);
        var position = 12;
        foreach (var producer in producers)
        {
            var p = span[position..];
            BinaryPrimitives.WriteInt64BigEndian(p, producer.ProducerId);
            BinaryPrimitives.WriteInt16BigEndian(p[8..], producer.ProducerEpoch);
            BinaryPrimitives.WriteInt32BigEndian(p[10..], producer.CoordinatorEpoch);
            BinaryPrimitives.WriteInt64BigEndian(p[14..], producer.LastUpdateMs);
            BinaryPrimitives.WriteInt64BigEndian(p[22..], producer.CurrentTxnFirstOffset ?? -1);
            p[30] = (byte)producer.BatchCount;
            position += ProducerSize;
            for (var i = 0; i < producer.BatchCount; i++)
            {
                var batch = producer.Batch(i);
                var b = span[position..];
                BinaryPrimitives.WriteInt32BigEndian(b, batch.LastSequence);
                BinaryPrimitives.WriteInt64BigEndian(b[4..], batch.LastOffset);
                BinaryPrimitives.WriteInt32BigEndian(b[12..], batch.OffsetDelta);
                BinaryPrimitives.WriteInt64BigEndian(b[16..], batch.Timestamp);
                position += BatchSize;
            }
        }
        return ChecksummedFrame.Encode(Version, payload);
    }

    /// <summary>Decodes a snapshot file's bytes; null when they are torn, corrupt or of an unknown version.</summary>
    public static (long Offset, List<ProducerStateEntry> Producers)? TryDecode(ReadOnlySpan<byte> file)
    {
        if (!ChecksummedFrame.TryRead(file, out var version, out var payload, out var frameSize)
            || version != Version || frameSize != file.Length || payload.Length < 12)
        {
            return null;
        }
        var offset = BinaryPrimitives.ReadInt64BigEndian(payload);
        var count = BinaryPrimitives.ReadInt32BigEndian(payload[8..]);
        var producers = new List<ProducerStateEntry>(Math.Max(0, Math.Min(count, payload.Length / ProducerSize)));
        var position = 12;
        for (var n = 0; n < count; n++)
        {
            if (payload.Length - position < ProducerSize)
            {
                return null;
            }
            var p = payload[position..];
            var entry = new ProducerStateEntry(BinaryPrimitives.ReadInt64BigEndian(p));
            entry.UpdateEpoch(BinaryPrimitives.ReadInt16BigEndian(p[8..]));
            entry.CoordinatorEpoch = BinaryPrimitives.ReadInt32BigEndian(p[10..]);
            entry.LastUpdateMs = BinaryPrimitives.ReadInt64BigEndian(p[14..]);
            var txnFirstOffset = BinaryPrimitives.ReadInt64BigEndian(p[22..]);
            entry.CurrentTxnFirstOffset = txnFirstOffset >= 0 ? txnFirstOffset : null;
            int batchCount = p[30];
            position += ProducerSize;
            if (batchCount > ProducerStateManager.BatchesToRetain || payload.Length - position < batchCount * BatchSize)
            {
                return null;
            }
            for (var i = 0; i < batchCount; i++)
            {
                var b = payload[position..];
                entry.AddBatch(new BatchMetadata(
                    BinaryPrimitives.ReadInt32BigEndian(b),
                    BinaryPrimitives.ReadInt64BigEndian(b[4..]),
                    BinaryPrimitives.ReadInt32BigEndian(b[12..]),
                    BinaryPrimitives.ReadInt64BigEndian(b[16..])));
                position += BatchSize;
            }
            producers.Add(entry);
        }
        return position == payload.Length ? (offset, producers) : null;
    }
}
