using StreamingPipeline.Broker.Transactions;

namespace StreamingPipeline.Broker.Log.Cleaner;

/// <summary>
/// Follows transactions while the cleaner walks a log in offset order (Kafka's CleanedTransactionMetadata): which data
/// batches belong to aborted transactions (from the partition's aborted-transaction index), and, when a marker is
/// reached, whether any batch of its transaction is still in the log being cleaned. A marker may go only once its
/// transaction has no batch left (and its delete horizon has passed); an aborted transaction's index entry goes as
/// soon as no batch of it is left, since a read_committed reader needs it only to drop those batches.
/// </summary>
internal sealed class TransactionTracker
{
    private readonly Dictionary<long, List<(long FirstOffset, long LastOffset)>> _aborted = [];
    private readonly HashSet<long> _abortedSeen = [];
    private readonly HashSet<long> _committedSeen = [];

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

    /// <summary>
    /// A transactional data batch of <paramref name="producerId"/> at <paramref name="baseOffset"/> is read (whatever
    /// the cleaner then keeps of it): its transaction has a batch left. Returns true when it was aborted.
    /// </summary>
    public bool OnDataBatch(long producerId, long baseOffset)
    {
        var aborted = IsAborted(producerId, baseOffset);
        (aborted ? _abortedSeen : _committedSeen).Add(producerId);
        return aborted;
    }

    /// <summary>
    /// The marker of <paramref name="producerId"/>'s transaction is reached (<paramref name="type"/> null for a control
    /// batch emptied earlier): true when the marker may be removed, i.e. none of its transaction's batches was read
    /// since the producer's previous marker. Ends the transaction.
    /// </summary>
    public bool OnMarker(long producerId, ControlRecordType? type)
    {
        var abortedSeen = _abortedSeen.Remove(producerId);
        var committedSeen = _committedSeen.Remove(producerId);
        return type switch
        {
            null => true,
            ControlRecordType.Abort => !abortedSeen,
            ControlRecordType.Commit => !committedSeen,
            _ => false,
        };
    }
}
