using System.Buffers.Binary;
using StreamingPipeline.Broker.Log;
using StreamingPipeline.Broker.Transactions;
using StreamingPipeline.Storage;

namespace StreamingPipeline.Broker.Tests.Transactions;

public class ControlBatchTests
{
    private const long ProducerId = 0x0102030405060708;
    private const short Epoch = 0x0A0B;
    private const long Timestamp = 1_764_000_000_123;

    [Theory]
    [InlineData(ControlRecordType.Commit)]
    [InlineData(ControlRecordType.Abort)]
    public void MarkerBatchHasKafkasBytesFieldByField(ControlRecordType type)
    {
        var bytes = ControlBatch.Build(ProducerId, Epoch, type, coordinatorEpoch: 0x11223344, Timestamp, baseOffset: 100, partitionLeaderEpoch: 5);
        var span = bytes.AsSpan();

        Assert.Equal(78, bytes.Length);
        Assert.Equal(100, BinaryPrimitives.ReadInt64BigEndian(span[0..]));                 // baseOffset
        Assert.Equal(66, BinaryPrimitives.ReadInt32BigEndian(span[8..]));                  // batchLength = 78 - 12
        Assert.Equal(5, BinaryPrimitives.ReadInt32BigEndian(span[12..]));                  // partitionLeaderEpoch
        Assert.Equal(2, span[16]);                                                          // magic
        Assert.Equal(Crc32C.Compute(span[21..]), BinaryPrimitives.ReadUInt32BigEndian(span[17..])); // crc over attributes..end
        Assert.Equal(0x0030, BinaryPrimitives.ReadInt16BigEndian(span[21..]));             // attributes: transactional | control
        Assert.Equal(0, BinaryPrimitives.ReadInt32BigEndian(span[23..]));                  // lastOffsetDelta
        Assert.Equal(Timestamp, BinaryPrimitives.ReadInt64BigEndian(span[27..]));          // baseTimestamp
        Assert.Equal(Timestamp, BinaryPrimitives.ReadInt64BigEndian(span[35..]));          // maxTimestamp
        Assert.Equal(ProducerId, BinaryPrimitives.ReadInt64BigEndian(span[43..]));         // producerId
        Assert.Equal(Epoch, BinaryPrimitives.ReadInt16BigEndian(span[51..]));              // producerEpoch
        Assert.Equal(-1, BinaryPrimitives.ReadInt32BigEndian(span[53..]));                 // baseSequence
        Assert.Equal(1, BinaryPrimitives.ReadInt32BigEndian(span[57..]));                  // recordsCount

        byte[] record =
        [
            0x20,                   // length 16, zigzag varint
            0x00,                   // attributes
            0x00,                   // timestampDelta 0
            0x00,                   // offsetDelta 0
            0x08,                   // keyLength 4
            0x00, 0x00,             // key: version 0
            0x00, (byte)type,       // key: type (0 abort, 1 commit)
            0x0C,                   // valueLength 6
            0x00, 0x00,             // value: version 0
            0x11, 0x22, 0x33, 0x44, // value: coordinator epoch
            0x00,                   // header count 0
        ];
        Assert.Equal(record, span[61..].ToArray());
    }

    [Fact]
    public void RecordBatchHeaderReadsTheMarkerAsATransactionalControlBatch()
    {
        var bytes = ControlBatch.Build(ProducerId, Epoch, ControlRecordType.Commit, 0, Timestamp);
        var header = new RecordBatchHeader(bytes);

        Assert.True(header.IsControl);
        Assert.True(header.IsTransactional);
        Assert.Equal(0, header.CompressionType);
        Assert.Equal(bytes.Length, header.TotalSize);
        Assert.Equal(ProducerId, header.ProducerId);
        Assert.Equal(-1, header.LastSequence);
    }

    [Theory]
    [InlineData(ControlRecordType.Commit, 0)]
    [InlineData(ControlRecordType.Abort, 123_456)]
    public void MarkerIsReadBackFromItsBytes(ControlRecordType type, int coordinatorEpoch)
    {
        var bytes = ControlBatch.Build(ProducerId, Epoch, type, coordinatorEpoch, Timestamp, baseOffset: 9);

        Assert.True(ControlBatch.TryReadMarker(bytes, out var marker));
        Assert.Equal(new TransactionMarker(type, coordinatorEpoch), marker);

        var batch = ProducerBatch.Read(bytes);
        Assert.Equal(new TransactionMarker(type, coordinatorEpoch), batch.Marker);
        Assert.Equal(9, batch.BaseOffset);
        Assert.Equal(9, batch.LastOffset);
        Assert.True(batch.IsControl && batch.IsTransactional && batch.HasProducerId);
    }

    [Fact]
    public void ControlBatchOfAnotherTypeIsNotATransactionMarker()
    {
        var bytes = ControlBatch.Build(ProducerId, Epoch, ControlRecordType.Commit, 0, Timestamp);
        bytes[61 + 8] = 2; // LEADER_CHANGE

        Assert.False(ControlBatch.TryReadMarker(bytes, out _));
        Assert.Null(ProducerBatch.Read(bytes).Marker);
    }

    [Fact]
    public void TruncatedMarkerRecordIsRejected()
    {
        var bytes = ControlBatch.Build(ProducerId, Epoch, ControlRecordType.Commit, 0, Timestamp);

        Assert.Throws<InvalidDataException>(() => ControlBatch.TryReadMarker(bytes.AsSpan(0, 70), out _));
    }

    [Fact]
    public void OnlyCommitAndAbortMarkersCanBeBuilt()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ControlBatch.Build(ProducerId, Epoch, (ControlRecordType)2, 0, Timestamp));
    }
}
