namespace StreamingPipeline.Broker.Log;

/// <summary>
/// Gives a compressed v2 batch the layout of an uncompressed one (its header with the batch length of the new layout,
/// then the decompressed records),
/// so <see cref="RecordReader"/> can walk its records: the log cleaner and the keyless-record check of compacted topics
/// read compressed batches this way, as Kafka's broker decompresses them.
/// </summary>
internal static class BatchDecompressor
{
    /// <summary>
    /// The header of <paramref name="batch"/> (a whole compressed batch; its attributes still name its codec; its CRC no
    /// longer matches) followed
    /// by its records decompressed; <see cref="InvalidDataException"/> when they do not decompress.
    /// </summary>
    public static byte[] Decompress(ReadOnlySpan<byte> batch)
    {
        var header = new RecordBatchHeader(batch);
        var plain = RecordCodec.Decompress(header.CompressionType, batch[RecordBatchHeader.Size..header.TotalSize].ToArray());
        var result = new byte[RecordBatchHeader.Size + plain.Length];
        batch[..RecordBatchHeader.Size].CopyTo(result);
        plain.CopyTo(result.AsSpan(RecordBatchHeader.Size));
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(result.AsSpan(RecordBatchHeader.BatchLengthPosition), result.Length - RecordBatchHeader.LogOverhead);
        return result;
    }
}
