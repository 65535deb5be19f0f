namespace StreamingPipeline.Events.Producing;

/// <summary>
/// Up to <see cref="Capacity"/> generated records (keys, values, timestamps) handed from the generating loop to the
/// sending loop in one piece, so the hand-over costs nothing per record. Reused through a pool; owned by one loop at
/// a time.
/// </summary>
internal sealed class RecordBatch
{
    public const int Capacity = 256;

    private readonly byte[][] _keys = new byte[Capacity][];
    private readonly long[] _timestamps = new long[Capacity];
    private readonly int[] _offsets = new int[Capacity + 1];
    private byte[] _values = new byte[Capacity * 256];

    public int Count { get; private set; }

    public void Clear() => Count = 0;

    public void Add(byte[] key, ReadOnlySpan<byte> value, long timestamp)
    {
        var start = _offsets[Count];
        if (start + value.Length > _values.Length)
        {
            Array.Resize(ref _values, Math.Max(_values.Length * 2, start + value.Length));
        }
        value.CopyTo(_values.AsSpan(start));
        _keys[Count] = key;
        _timestamps[Count] = timestamp;
        _offsets[Count + 1] = start + value.Length;
        Count++;
    }

    public byte[] Key(int index) => _keys[index];

    public ReadOnlySpan<byte> Value(int index) => _values.AsSpan(_offsets[index], _offsets[index + 1] - _offsets[index]);

    public long Timestamp(int index) => _timestamps[index];
}
