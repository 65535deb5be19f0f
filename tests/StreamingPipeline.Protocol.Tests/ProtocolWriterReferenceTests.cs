using StreamingPipeline.Protocol.Messages;

namespace StreamingPipeline.Protocol.Tests;

public class ProtocolWriterReferenceTests
{
    [Theory]
    [InlineData((short)4)]
    [InlineData((short)12)]
    public void ReferencedRecordsGatherToTheSameBytesAsCopiedRecords(short version)
    {
        var response = FetchResponseWith(RecordsOf(20_000, 1), RecordsOf(100, 2), RecordsOf(50_000, 3));
        using var copying = new ProtocolWriter();
        using var referencing = new ProtocolWriter(64, referenceRecordsFrom: 1024);
        foreach (var writer in new[] { copying, referencing })
        {
            writer.WriteInt32(0);
            response.Write(writer, version);
            writer.PatchInt32(0, writer.Position - 4);
        }

        Assert.False(copying.HasReferences);
        Assert.True(referencing.HasReferences);
        Assert.Equal(copying.Position, referencing.Position);
        var segments = new List<ArraySegment<byte>>();
        referencing.AddSegmentsTo(segments);
        Assert.Equal(copying.WrittenSpan.ToArray(), segments.SelectMany(s => s).ToArray());
        Assert.Throws<InvalidOperationException>(() => referencing.WrittenMemory);
    }

    [Fact]
    public void ResetForgetsReferencedRecords()
    {
        using var writer = new ProtocolWriter(64, referenceRecordsFrom: 16);
        writer.WriteRecords(RecordsOf(100, 7), compact: true);
        writer.Reset();
        writer.WriteInt16(5);

        Assert.False(writer.HasReferences);
        Assert.Equal(new byte[] { 0, 5 }, writer.WrittenSpan.ToArray());
    }

    private static FetchResponse FetchResponseWith(params ReadOnlyMemory<byte>[] records)
    {
        var topic = new FetchResponse.FetchableTopicResponse { Topic = "t" };
        for (var i = 0; i < records.Length; i++)
        {
            topic.Partitions.Add(new FetchResponse.PartitionData { PartitionIndex = i, HighWatermark = 10, LastStableOffset = 10, PreferredReadReplica = -1, Records = records[i] });
        }
        var response = new FetchResponse();
        response.Responses.Add(topic);
        return response;
    }

    private static ReadOnlyMemory<byte> RecordsOf(int length, byte seed)
    {
        // Offset into a larger array, as a pooled read buffer is.
        var bytes = new byte[length + 10];
        for (var i = 0; i < bytes.Length; i++)
        {
            bytes[i] = (byte)(seed + i);
        }
        return bytes.AsMemory(5, length);
    }
}
