namespace StreamingPipeline.Broker.Log.Cleaner;

/// <summary>
/// Reads and re-encodes the timestamp delta of one record of an uncompressed v2 batch (length varint, attributes,
/// timestamp delta varlong, then the rest), so a batch whose base timestamp changes (the cleaner stamping a delete
/// horizon, KIP-534) keeps every record's absolute timestamp.
/// </summary>
internal static class RecordRebase
{
    /// <summary>How many bytes a record can grow by when re-encoded: a 1-byte delta becoming 10, and its length varint growing.</summary>
    public const int MaxGrowthOnRebase = 16;

    /// <summary>The timestamp delta of <paramref name="record"/> (its bytes from its length varint on).</summary>
    public static long TimestampDelta(ReadOnlySpan<byte> record)
    {
        var position = 0;
        if (!RecordTimestampSearch.TryReadVarLong(record, ref position, out _))
        {
            throw new InvalidDataException("A record's length is malformed.");
        }
        position++; // attributes
        if (!RecordTimestampSearch.TryReadVarLong(record, ref position, out var delta))
        {
            throw new InvalidDataException("A record's timestamp delta is malformed.");
        }
        return delta;
    }

    /// <summary>
    /// Writes <paramref name="record"/> into <paramref name="target"/> with its timestamp delta moved from
    /// <paramref name="oldBase"/> to <paramref name="newBase"/> (the same absolute timestamp); returns the bytes written.
    /// </summary>
    public static int Rebase(ReadOnlySpan<byte> record, long oldBase, long newBase, Span<byte> target)
    {
        var position = 0;
        if (!RecordTimestampSearch.TryReadVarLong(record, ref position, out _))
        {
            throw new InvalidDataException("A record's length is malformed.");
        }
        var attributes = record[position++];
        if (!RecordTimestampSearch.TryReadVarLong(record, ref position, out var delta))
        {
            throw new InvalidDataException("A record's timestamp delta is malformed.");
        }
        var rest = record[position..];
        var newDelta = oldBase + delta - newBase;
        var bodyLength = 1 + VarLongSize(newDelta) + rest.Length;
        var written = WriteVarLong(target, bodyLength);
        target[written++] = attributes;
        written += WriteVarLong(target[written..], newDelta);
        rest.CopyTo(target[written..]);
        return written + rest.Length;
    }

    /// <summary>Bytes of <paramref name="value"/> as a zig-zag varint.</summary>
    internal static int VarLongSize(long value)
    {
        var raw = (ulong)((value << 1) ^ (value >> 63));
        var size = 1;
        while (raw >= 0x80)
        {
            raw >>= 7;
            size++;
        }
        return size;
    }

    /// <summary>Writes <paramref name="value"/> as a zig-zag varint (Kafka's varint and varlong share the encoding).</summary>
    internal static int WriteVarLong(Span<byte> target, long value)
    {
        var raw = (ulong)((value << 1) ^ (value >> 63));
        var written = 0;
        while (raw >= 0x80)
        {
            target[written++] = (byte)(raw | 0x80);
            raw >>= 7;
        }
        target[written++] = (byte)raw;
        return written;
    }
}
