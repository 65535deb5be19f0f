namespace StreamingPipeline.Broker.Log;

/// <summary>
/// One record of an uncompressed v2 batch as it lies in the batch: where its bytes are (length prefix included, so it
/// can be copied into another batch unchanged), its offset delta, and its key and value (null when absent).
/// </summary>
internal readonly ref struct RecordView
{
    public RecordView(int start, int length, int offsetDelta, ReadOnlySpan<byte> key, bool hasKey, bool hasValue)
    {
        Start = start;
        Length = length;
        OffsetDelta = offsetDelta;
        Key = key;
        HasKey = hasKey;
        HasValue = hasValue;
    }

    /// <summary>Where the record starts in the batch (at its length varint).</summary>
    public int Start { get; }

    /// <summary>Bytes of the whole record, length varint included.</summary>
    public int Length { get; }

    /// <summary>The record's offset relative to the batch's base offset.</summary>
    public int OffsetDelta { get; }

    /// <summary>The key bytes; empty when <see cref="HasKey"/> is false.</summary>
    public ReadOnlySpan<byte> Key { get; }

    /// <summary>False for a record with a null key.</summary>
    public bool HasKey { get; }

    /// <summary>False for a tombstone (null value).</summary>
    public bool HasValue { get; }
}
