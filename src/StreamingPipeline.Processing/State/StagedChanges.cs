namespace StreamingPipeline.Processing.State;

/// <summary>
/// The changes of the open transaction: puts by key and the expiry watermark. Both backends keep them here until
/// the commit, so a lookup sees them and an abort is a <see cref="Clear"/>.
/// </summary>
internal sealed class StagedChanges
{
    private readonly Dictionary<byte[], long> _puts = new(ByteKeyComparer.Instance);
    private readonly Dictionary<byte[], long>.AlternateLookup<ReadOnlySpan<byte>> _lookup;

    public StagedChanges()
    {
        _lookup = _puts.GetAlternateLookup<ReadOnlySpan<byte>>();
    }

    /// <summary>Every bucket below this is to be dropped at the commit; null when nothing expires.</summary>
    public long? ExpireBefore { get; private set; }

    public int PutCount => _puts.Count;

    public bool IsEmpty => _puts.Count == 0 && ExpireBefore is null;

    public bool TryGet(ReadOnlySpan<byte> key, out long bucket) => _lookup.TryGetValue(key, out bucket);

    public void Put(ReadOnlySpan<byte> key, long bucket) => _lookup[key] = bucket;

    public void Expire(long firstRetainedBucket)
    {
        if (ExpireBefore is not { } current || firstRetainedBucket > current)
        {
            ExpireBefore = firstRetainedBucket;
        }
    }

    /// <summary>The puts that survive the staged expiry: a put into a bucket expired later in the same transaction is moot.</summary>
    public IEnumerable<KeyValuePair<byte[], long>> LivePuts()
    {
        var floor = ExpireBefore ?? long.MinValue;
        foreach (var put in _puts)
        {
            if (put.Value >= floor)
            {
                yield return put;
            }
        }
    }

    public void Clear()
    {
        _puts.Clear();
        ExpireBefore = null;
    }
}
