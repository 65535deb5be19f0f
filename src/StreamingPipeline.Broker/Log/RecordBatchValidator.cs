using StreamingPipeline.Protocol;

namespace StreamingPipeline.Broker.Log;

/// <summary>
/// The checks an append makes before anything is written, with Kafka's error codes: framing (whole batches that fill
/// the buffer exactly), magic 2, size limits, CRC-32C, and the rules Kafka applies to client batches. Works per batch;
/// records are read (compressed ones decompressed) only to refuse keyless records on compacted topics.
/// </summary>
internal static class RecordBatchValidator
{
    /// <summary>The smallest batchLength a v2 batch can have: a header without records.</summary>
    internal const int MinBatchLength = RecordBatchHeader.Size - RecordBatchHeader.LogOverhead;

    /// <summary>Validates <paramref name="records"/>; on success reports how many batches and records it holds.</summary>
    public static ErrorCode Validate(
        ReadOnlySpan<byte> records,
        LogConfig config,
        AppendOrigin origin,
        out int batchCount,
        out long recordCount,
        out string? message)
    {
        batchCount = 0;
        recordCount = 0;
        var position = 0;
        while (position < records.Length)
        {
            var remaining = records[position..];
            if (remaining.Length <= RecordBatchHeader.MagicPosition)
            {
                message = $"Batch {batchCount} is truncated: {remaining.Length} bytes left, less than a batch header.";
                return ErrorCode.CorruptMessage;
            }
            var magic = remaining[RecordBatchHeader.MagicPosition];
            if (magic > RecordBatchHeader.CurrentMagic)
            {
                message = $"Batch {batchCount} has unknown magic {magic}.";
                return ErrorCode.CorruptMessage;
            }
            if (magic < RecordBatchHeader.CurrentMagic)
            {
                // Kafka answers INVALID_RECORD for a pre-v2 batch in a Produce request of version 3 or later.
                message = $"Batch {batchCount} has magic {magic}; only record batches with magic 2 are accepted.";
                return ErrorCode.InvalidRecord;
            }
            if (remaining.Length < RecordBatchHeader.Size)
            {
                message = $"Batch {batchCount} is truncated: {remaining.Length} bytes left, less than a batch header.";
                return ErrorCode.CorruptMessage;
            }
            var header = new RecordBatchHeader(remaining);
            var batchLength = header.BatchLength;
            if (batchLength < MinBatchLength)
            {
                message = $"Batch {batchCount} declares length {batchLength}, less than the {MinBatchLength}-byte minimum.";
                return ErrorCode.CorruptMessage;
            }
            if (batchLength > remaining.Length - RecordBatchHeader.LogOverhead)
            {
                message = $"Batch {batchCount} declares length {batchLength} but only {remaining.Length - RecordBatchHeader.LogOverhead} bytes follow.";
                return ErrorCode.CorruptMessage;
            }
            var totalSize = header.TotalSize;
            if (totalSize > config.MaxMessageBytes)
            {
                message = $"The record batch size is {totalSize} bytes, which exceeds the maximum configured value of {config.MaxMessageBytes}.";
                return ErrorCode.MessageTooLarge;
            }
            var batch = remaining[..totalSize];
            var storedCrc = header.Crc;
            var computedCrc = RecordBatchHeader.ComputeCrc(batch);
            if (storedCrc != computedCrc)
            {
                message = $"Batch {batchCount} is corrupt: stored CRC {storedCrc:x8}, computed {computedCrc:x8}.";
                return ErrorCode.CorruptMessage;
            }
            var error = CheckOffsetsAndOrigin(header, batchCount, origin, out message);
            if (error == ErrorCode.None && config.Compact && origin == AppendOrigin.Client)
            {
                error = CheckKeys(batch, batchCount, out message);
            }
            if (error != ErrorCode.None)
            {
                return error;
            }
            recordCount += header.RecordCount;
            batchCount++;
            position += totalSize;
        }
        if (batchCount == 0)
        {
            message = "An append must hold at least one record batch.";
            return ErrorCode.InvalidRecord;
        }
        if (records.Length > config.SegmentBytes)
        {
            message = $"The append is {records.Length} bytes, which exceeds the segment size of {config.SegmentBytes}.";
            return ErrorCode.RecordListTooLarge;
        }
        message = null;
        return ErrorCode.None;
    }

    /// <summary>
    /// A compacted topic keeps the latest record per key, so Kafka refuses a record without one; compressed batches
    /// are decompressed to be checked, as Kafka's broker does.
    /// </summary>
    private static ErrorCode CheckKeys(ReadOnlySpan<byte> batch, int index, out string? message)
    {
        var header = new RecordBatchHeader(batch);
        if (header.IsControl)
        {
            message = null;
            return ErrorCode.None;
        }
        if (header.CompressionType != RecordCodec.None)
        {
            try
            {
                batch = BatchDecompressor.Decompress(batch);
            }
            catch (InvalidDataException ex)
            {
                message = $"Batch {index} is corrupt: {ex.Message}";
                return ErrorCode.CorruptMessage;
            }
        }
        var reader = new RecordReader(batch);
        while (reader.TryNext(out var record))
        {
            if (!record.HasKey)
            {
                message = "Compacted topic cannot accept message without key.";
                return ErrorCode.InvalidRecord;
            }
        }
        if (reader.Problem is { } problem)
        {
            message = $"Batch {index} is corrupt: {problem}.";
            return ErrorCode.CorruptMessage;
        }
        message = null;
        return ErrorCode.None;
    }

    private static ErrorCode CheckOffsetsAndOrigin(in RecordBatchHeader header, int index, AppendOrigin origin, out string? message)
    {
        var lastOffsetDelta = header.LastOffsetDelta;
        var count = header.RecordCount;
        if (lastOffsetDelta < 0)
        {
            message = $"Batch {index} has an invalid offset range: lastOffsetDelta {lastOffsetDelta}.";
            return ErrorCode.InvalidRecord;
        }
        if (count <= 0)
        {
            message = $"Batch {index} reports {count} records.";
            return ErrorCode.InvalidRecord;
        }
        if ((long)lastOffsetDelta + 1 != count)
        {
            message = $"Batch {index} has an inconsistent offset range: lastOffsetDelta {lastOffsetDelta} and {count} records.";
            return ErrorCode.InvalidRecord;
        }
        if (origin == AppendOrigin.Client)
        {
            if (header.BaseOffset != 0)
            {
                message = $"The baseOffset of batch {index} should be 0, but it is {header.BaseOffset}.";
                return ErrorCode.InvalidRecord;
            }
            if (header.IsControl)
            {
                message = "Clients are not allowed to write control records.";
                return ErrorCode.InvalidRecord;
            }
            if (header.HasProducerId && header.BaseSequence < 0)
            {
                message = $"Invalid sequence number {header.BaseSequence} in a batch with producer id {header.ProducerId}.";
                return ErrorCode.InvalidRecord;
            }
        }
        message = null;
        return ErrorCode.None;
    }
}
