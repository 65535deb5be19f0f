namespace StreamingPipeline.Broker.Log.Cleaner;

/// <summary>
/// Follows transactions while the cleaner walks a log in offset order: which data batches belong to aborted
/// transactions (from the partition's aborted-transaction index), and whether a transaction still has records in the
/// cleaned log when its marker is reached, since a marker may only go once its transaction's data is gone (Kafka's
/// CleanedTransactionMetadata).
/// </summary>
internal sealed class TransactionTracker
{
    private readonly Dictionary<long, List<(long FirstOffset, long LastOffset)>> _aborted = [];
    private readonly HashSet<long> _withRetainedData = [];

    /// <summary>Tracks the aborted transactions of <paramref name="state"/> that overlap [<paramref name="fromOffset"/>, <paramref name="toOffset"/>).</summary>
    public TransactionTracker(ICleanerProducerState? state, long fromOffset, long toOffset)
    {
        if (state is null)
        {
            return;
        }
        var entries = new List<(long ProducerId, long FirstOffset, long LastOffset)>();
        state.CollectAbortedTransactions(fromOffset, toOffset, entries);
        foreach (var (producerId, first, last) in entries)
        {
            if (!_aborted.TryGetValue(producerId, out var ranges))
            {
                ranges = [];
                _aborted.Add(producerId, ranges);
            }
            ranges.Add((first, last));
        }
    }

    /// <summary>True when the transactional batch of <paramref name="producerId"/> at <paramref name="baseOffset"/> was aborted.</summary>
    public bool IsAborted(long producerId, long baseOffset)
    {
        if (!_aborted.TryGetValue(producerId, out var ranges))
        {
            return false;
        }
        foreach (var (first, last) in ranges)
        {
            if (first <= baseOffset && baseOffset <= last)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>A data batch of <paramref name="producerId"/>'s transaction kept at least one record.</summary>
    public void OnDataRetained(long producerId) => _withRetainedData.Add(producerId);

    /// <summary>
    /// The marker of <paramref name="producerId"/>'s transaction is reached: true when that transaction still has
    /// records in the cleaned log (so the marker must stay). Ends the transaction.
    /// </summary>
    public bool OnMarker(long producerId) => _withRetainedData.Remove(producerId);
}
