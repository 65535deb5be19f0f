namespace StreamingPipeline.Events.Generation;

/// <summary>
/// Re-sends waiting for their due event time, earliest first. The heap holds only (slot, due) pairs and the
/// events sit still in a slab, because sifting 80-byte entries through a million-entry heap made duplicates cost
/// several microseconds each. Equal due times leave in an order fixed by the operations, so a seeded stream stays
/// reproducible. Not thread-safe.
/// </summary>
internal sealed class PendingDuplicateQueue
{
    private readonly PriorityQueue<int, long> _heap = new();
    private readonly Stack<int> _freeSlots = new();
    private PendingDuplicate[] _slab = new PendingDuplicate[1024];
    private int _used;

    public int Count => _heap.Count;

    public void Enqueue(in PendingDuplicate duplicate, long due)
    {
        if (!_freeSlots.TryPop(out var slot))
        {
            if (_used == _slab.Length)
            {
                Array.Resize(ref _slab, _slab.Length * 2);
            }
            slot = _used++;
        }
        _slab[slot] = duplicate;
        _heap.Enqueue(slot, due);
    }

    public bool TryPeekDue(out long due) => _heap.TryPeek(out _, out due);

    public bool TryDequeue(out PendingDuplicate duplicate)
    {
        if (!_heap.TryDequeue(out var slot, out _))
        {
            duplicate = default;
            return false;
        }
        duplicate = _slab[slot];
        // Drop the references so abandoned sessions' strings can be collected.
        _slab[slot] = default;
        _freeSlots.Push(slot);
        return true;
    }
}
