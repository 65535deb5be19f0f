namespace StreamingPipeline.Broker.Log;

/// <summary>
/// Walks the records of an uncompressed v2 batch (Kafka's record format: length, attributes, timestamp delta, offset
/// delta, key, value, headers, all varint-framed) without copying them. The log cleaner and the keyless-record check
/// of compacted topics use it; a compressed batch is read after <see cref="BatchDecompressor"/> laid it out uncompressed.
/// </summary>
internal ref struct RecordReader
{
    private readonly ReadOnlySpan<byte> _batch;
    private readonly int _end;
    private int _position;
    private int _remaining;

    /// <summary>Reads the records of <paramref name="batch"/>, a whole uncompressed batch.</summary>
    public RecordReader(ReadOnlySpan<byte> batch)
    {
        var header = new RecordBatchHeader(batch);
        _batch = batch;
        _end = Math.Min(batch.Length, header.TotalSize);
        _position = RecordBatchHeader.Size;
        _remaining = header.RecordCount;
    }

    /// <summary>Why the last <see cref="TryNext"/> failed when the batch is malformed; null at a clean end.</summary>
    public string? Problem { get; private set; }

    /// <summary>Moves to the next record; false at the end of the batch or at a malformed record (see <see cref="Problem"/>).</summary>
    public bool TryNext(out RecordView record)
    {
        record = default;
        if (_remaining <= 0)
        {
            return false;
        }
        var start = _position;
        var position = _position;
        if (!RecordTimestampSearch.TryReadVarLong(_batch[.._end], ref position, out var length) || length < 0 || position + length > _end)
        {
            return Fail("a record's length runs past the batch");
        }
        var recordEnd = position + (int)length;
        var body = _batch[..recordEnd];
        position++; // attributes
        if (!RecordTimestampSearch.TryReadVarLong(body, ref position, out _)
            || !RecordTimestampSearch.TryReadVarLong(body, ref position, out var offsetDelta)
            || !RecordTimestampSearch.TryReadVarLong(body, ref position, out var keyLength)
            || keyLength < -1
            || position + Math.Max(0, keyLength) > recordEnd)
        {
            return Fail("a record's key is malformed");
        }
        var key = keyLength > 0 ? body.Slice(position, (int)keyLength) : [];
        position += (int)Math.Max(0, keyLength);
        if (!RecordTimestampSearch.TryReadVarLong(body, ref position, out var valueLength) || valueLength < -1)
        {
            return Fail("a record's value is malformed");
        }
        record = new RecordView(start, recordEnd - start, (int)offsetDelta, key, keyLength >= 0, valueLength >= 0);
        _position = recordEnd;
        _remaining--;
        return true;
    }

    private bool Fail(string problem)
    {
        Problem = problem;
        _remaining = 0;
        return false;
    }
}
