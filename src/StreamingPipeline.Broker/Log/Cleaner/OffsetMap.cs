using System.IO.Hashing;

namespace StreamingPipeline.Broker.Log.Cleaner;

/// <summary>
/// The cleaner's key → latest offset map, of a fixed size chosen up front (Kafka's SkimpyOffsetMap and
/// log.cleaner.dedupe.buffer.size): keys are stored as their 128-bit xxHash, never as bytes, in an open-addressing table
/// of 24-byte slots filled to at most <see cref="LoadFactor"/>, so memory does not grow with the keys or their size.
/// A key whose hash collides with another's would be treated as the same key; at 128 bits that does not happen in
/// practice.
/// </summary>
internal sealed class OffsetMap
{
    /// <summary>Bytes per slot: 16 of hash and 8 of offset.</summary>
    public const int BytesPerEntry = 24;

    /// <summary>The share of slots that may be used before the map counts as full (Kafka's dedupe buffer load factor).</summary>
    public const double LoadFactor = 0.9;

    private readonly ulong[] _hashLow;
    private readonly ulong[] _hashHigh;

    // Offset + 1, so that 0 marks an empty slot.
    private readonly long[] _offsetsPlusOne;

    /// <summary>A map using at most <paramref name="memoryBytes"/> bytes for its slots (at least one slot).</summary>
    public OffsetMap(long memoryBytes)
    {
        var slots = (int)Math.Clamp(memoryBytes / BytesPerEntry, 2, Array.MaxLength);
        _hashLow = new ulong[slots];
        _hashHigh = new ulong[slots];
        _offsetsPlusOne = new long[slots];
        Capacity = Math.Max(1, (int)(slots * LoadFactor));
    }

    /// <summary>How many distinct keys fit before <see cref="TryPut"/> refuses new ones.</summary>
    public int Capacity { get; }

    /// <summary>Bytes held by the slots.</summary>
    public long MemoryBytes => (long)_hashLow.Length * BytesPerEntry;

    /// <summary>Distinct keys in the map.</summary>
    public int Count { get; private set; }

    /// <summary>True when no new key fits.</summary>
    public bool IsFull => Count >= Capacity;

    /// <summary>The largest offset put since the last <see cref="Clear"/>, or -1.</summary>
    public long LatestOffset { get; private set; } = -1;

    /// <summary>
    /// Records <paramref name="offset"/> as the latest for <paramref name="key"/>. False (and no change) when the key
    /// is new and the map is full.
    /// </summary>
    public bool TryPut(ReadOnlySpan<byte> key, long offset)
    {
        var hash = XxHash128.HashToUInt128(key);
        var low = (ulong)hash;
        var high = (ulong)(hash >> 64);
        var slot = FindSlot(low, high);
        if (_offsetsPlusOne[slot] == 0)
        {
            if (IsFull)
            {
                return false;
            }
            _hashLow[slot] = low;
            _hashHigh[slot] = high;
            Count++;
        }
        _offsetsPlusOne[slot] = offset + 1;
        LatestOffset = Math.Max(LatestOffset, offset);
        return true;
    }

    /// <summary>The latest offset recorded for <paramref name="key"/>, or -1.</summary>
    public long Get(ReadOnlySpan<byte> key)
    {
        var hash = XxHash128.HashToUInt128(key);
        return _offsetsPlusOne[FindSlot((ulong)hash, (ulong)(hash >> 64))] - 1;
    }

    /// <summary>Empties the map for the next pass, keeping its memory.</summary>
    public void Clear()
    {
        Array.Clear(_offsetsPlusOne);
        Count = 0;
        LatestOffset = -1;
    }

    // Linear probing; the table is never more than LoadFactor full, so an empty slot always ends the probe.
    private int FindSlot(ulong low, ulong high)
    {
        var slots = _offsetsPlusOne.Length;
        var slot = (int)((low ^ (high >> 17)) % (ulong)slots);
        while (_offsetsPlusOne[slot] != 0 && (_hashLow[slot] != low || _hashHigh[slot] != high))
        {
            slot++;
            if (slot == slots)
            {
                slot = 0;
            }
        }
        return slot;
    }
}
