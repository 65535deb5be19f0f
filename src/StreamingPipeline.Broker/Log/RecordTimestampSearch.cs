namespace StreamingPipeline.Broker.Log;

/// <summary>
/// Finds, inside one batch, the first record whose timestamp reaches a target, for ListOffsets by timestamp. Only an
/// uncompressed CreateTime batch needs its records read (a few varints each); in a LogAppendTime batch every record has
/// the batch's max timestamp, and a compressed batch is answered with its base offset because the broker never
/// decompresses.
/// </summary>
internal static class RecordTimestampSearch
{
    /// <summary>Looks in a batch whose max timestamp is at least <paramref name="target"/>.</summary>
    public static bool TryFindFirstAtOrAfter(ReadOnlySpan<byte> batch, long target, out long offset, out long timestamp)
    {
        var header = new RecordBatchHeader(batch);
        offset = header.BaseOffset;
        timestamp = header.MaxTimestamp;
        if (timestamp < target)
        {
            return false;
        }
        if (header.IsLogAppendTime || header.CompressionType != 0)
        {
            return true;
        }
        var position = RecordBatchHeader.Size;
        var baseTimestamp = header.BaseTimestamp;
        for (var i = 0; i < header.RecordCount; i++)
        {
            if (!TryReadVarLong(batch, ref position, out var length) || length < 0 || position + length > batch.Length)
            {
                return true;
            }
            var recordEnd = position + (int)length;
            position++; // attributes
            if (!TryReadVarLong(batch, ref position, out var timestampDelta)
                || !TryReadVarLong(batch, ref position, out var offsetDelta))
            {
                return true;
            }
            var recordTimestamp = baseTimestamp + timestampDelta;
            if (recordTimestamp >= target)
            {
                offset = header.BaseOffset + offsetDelta;
                timestamp = recordTimestamp;
                return true;
            }
            position = recordEnd;
        }
        return true;
    }

    /// <summary>Reads a zig-zag varint (Kafka's varint and varlong share the encoding).</summary>
    internal static bool TryReadVarLong(ReadOnlySpan<byte> bytes, ref int position, out long value)
    {
        ulong raw = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (position >= bytes.Length)
            {
                value = 0;
                return false;
            }
            var b = bytes[position++];
            raw |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                value = (long)(raw >> 1) ^ -(long)(raw & 1);
                return true;
            }
        }
        value = 0;
        return false;
    }
}
