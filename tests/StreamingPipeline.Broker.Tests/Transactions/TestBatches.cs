using System.Buffers.Binary;
using StreamingPipeline.Broker.Log;
using StreamingPipeline.Broker.Transactions;

namespace StreamingPipeline.Broker.Tests.Transactions;

/// <summary>Raw v2 record batches for producer-state tests: a real 61-byte header (records are never read for data batches).</summary>
internal static class TestBatches
{
    public static byte[] Data(
        long producerId,
        short epoch,
        int baseSequence,
        int recordCount = 1,
        bool transactional = false,
        long baseOffset = 0,
        long timestamp = 1_000)
    {
        var bytes = new byte[RecordBatchHeader.Size];
        var span = bytes.AsSpan();
        BinaryPrimitives.WriteInt64BigEndian(span, baseOffset);
        BinaryPrimitives.WriteInt32BigEndian(span[8..], RecordBatchHeader.Size - RecordBatchHeader.LogOverhead);
        span[16] = RecordBatchHeader.CurrentMagic;
        BinaryPrimitives.WriteInt16BigEndian(span[21..], transactional ? (short)0x10 : (short)0);
        BinaryPrimitives.WriteInt32BigEndian(span[23..], recordCount - 1);
        BinaryPrimitives.WriteInt64BigEndian(span[27..], timestamp);
        BinaryPrimitives.WriteInt64BigEndian(span[35..], timestamp);
        BinaryPrimitives.WriteInt64BigEndian(span[43..], producerId);
        BinaryPrimitives.WriteInt16BigEndian(span[51..], epoch);
        BinaryPrimitives.WriteInt32BigEndian(span[53..], baseSequence);
        BinaryPrimitives.WriteInt32BigEndian(span[57..], recordCount);
        return bytes;
    }

    public static byte[] Plain(int recordCount = 1) => Data(-1, -1, -1, recordCount);

    public static byte[] Marker(long producerId, short epoch, bool commit, int coordinatorEpoch = 0) =>
        ControlBatch.Build(producerId, epoch, commit ? ControlRecordType.Commit : ControlRecordType.Abort, coordinatorEpoch, 2_000);
}
