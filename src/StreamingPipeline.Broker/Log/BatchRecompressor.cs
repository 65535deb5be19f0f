using System.Buffers.Binary;

namespace StreamingPipeline.Broker.Log;

/// <summary>
/// Kafka's broker-side recompression: when a topic's compression.type names a codec, a client batch that arrives in
/// another codec is decompressed and its records section compressed again with the topic's codec. The records
/// themselves (offset deltas, timestamps, keys, values, headers) and every header field but the codec bits, the
/// length and the CRC stay as the producer wrote them, so producer ids, sequences and transactions are unaffected.
/// </summary>
internal static class BatchRecompressor
{
    /// <summary>
    /// Returns the batches of <paramref name="records"/> (whole, validated v2 batches) with every batch in
    /// <paramref name="codec"/>, or null when they all already are. <see cref="InvalidDataException"/> when a batch
    /// does not decompress.
    /// </summary>
    public static byte[]? Recompress(ReadOnlySpan<byte> records, int codec)
    {
        if (AllUse(records, codec))
        {
            return null;
        }
        using var output = new MemoryStream(records.Length + 64);
        var position = 0;
        while (position < records.Length)
        {
            var header = new RecordBatchHeader(records[position..]);
            var batch = records.Slice(position, header.TotalSize);
            position += batch.Length;
            if (header.CompressionType == codec)
            {
                output.Write(batch);
                continue;
            }
            var plain = RecordCodec.Decompress(header.CompressionType, batch[RecordBatchHeader.Size..].ToArray());
            var encoded = codec == RecordCodec.None ? plain : RecordCodec.Compress(codec, plain);
            var rebuilt = new byte[RecordBatchHeader.Size + encoded.Length];
            batch[..RecordBatchHeader.Size].CopyTo(rebuilt);
            encoded.CopyTo(rebuilt.AsSpan(RecordBatchHeader.Size));
            BinaryPrimitives.WriteInt32BigEndian(rebuilt.AsSpan(RecordBatchHeader.BatchLengthPosition), rebuilt.Length - RecordBatchHeader.LogOverhead);
            var attributes = (short)((header.Attributes & ~0x07) | codec);
            BinaryPrimitives.WriteInt16BigEndian(rebuilt.AsSpan(RecordBatchHeader.AttributesPosition), attributes);
            BinaryPrimitives.WriteUInt32BigEndian(rebuilt.AsSpan(RecordBatchHeader.CrcPosition), RecordBatchHeader.ComputeCrc(rebuilt));
            output.Write(rebuilt);
        }
        return output.ToArray();
    }

    private static bool AllUse(ReadOnlySpan<byte> records, int codec)
    {
        var position = 0;
        while (position < records.Length)
        {
            var header = new RecordBatchHeader(records[position..]);
            if (header.CompressionType != codec)
            {
                return false;
            }
            position += header.TotalSize;
        }
        return true;
    }
}
