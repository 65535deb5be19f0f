namespace StreamingPipeline.Broker.Log;

/// <summary>What a <see cref="SegmentBatchCursor"/> found at its position.</summary>
internal enum BatchReadStatus
{
    /// <summary>A whole, well-formed batch.</summary>
    Batch,

    /// <summary>The end of the range was reached exactly.</summary>
    End,

    /// <summary>A batch starts but does not fit in the range: a torn write.</summary>
    Truncated,

    /// <summary>The bytes are not a valid v2 batch (length, magic, CRC or offset out of sequence).</summary>
    Corrupt,
}
