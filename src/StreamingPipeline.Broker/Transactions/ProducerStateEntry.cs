namespace StreamingPipeline.Broker.Transactions;

/// <summary>
/// One producer's state in one partition: its epoch, its last <see cref="ProducerStateManager.BatchesToRetain"/>
/// batches (oldest first, in a fixed ring so appends do not allocate), the first offset of its open transaction,
/// and when the broker last heard from it. Owned by its <see cref="ProducerStateManager"/>.
/// </summary>
internal sealed class ProducerStateEntry(long producerId)
{
    /// <summary>Kafka's RecordBatch.NO_PRODUCER_EPOCH: an entry that never saw an epoch.</summary>
    public const short NoEpoch = -1;

    private readonly BatchMetadata[] _batches = new BatchMetadata[ProducerStateManager.BatchesToRetain];
    private int _head;

    public long ProducerId { get; } = producerId;
    public short ProducerEpoch { get; private set; } = NoEpoch;
    public int CoordinatorEpoch { get; set; } = -1;

    /// <summary>Broker clock (ms) of the last append, for expiry: the batch timestamps may be event time, days old.</summary>
    public long LastUpdateMs { get; set; }

    /// <summary>First offset of the producer's ongoing transaction in this partition, if one is open.</summary>
    public long? CurrentTxnFirstOffset { get; set; }

    public int BatchCount { get; private set; }
    public bool IsEmpty => BatchCount == 0;
    public int LastSequence => IsEmpty ? -1 : Batch(BatchCount - 1).LastSequence;

    /// <summary>The i-th retained batch, oldest first.</summary>
    public BatchMetadata Batch(int index) => _batches[(_head + index) % _batches.Length];

    /// <summary>Moves to <paramref name="epoch"/>; a new epoch forgets the old epoch's batches (its sequences restart).</summary>
    public void UpdateEpoch(short epoch)
    {
        if (ProducerEpoch != epoch)
        {
            ProducerEpoch = epoch;
            _head = 0;
            BatchCount = 0;
        }
    }

    public void AddBatch(BatchMetadata batch)
    {
        if (BatchCount == _batches.Length)
        {
            _batches[_head] = batch;
            _head = (_head + 1) % _batches.Length;
        }
        else
        {
            _batches[(_head + BatchCount) % _batches.Length] = batch;
            BatchCount++;
        }
    }

    /// <summary>The retained batch with exactly this sequence range, if the epoch matches.</summary>
    public bool TryFindDuplicate(short epoch, int firstSequence, int lastSequence, out BatchMetadata duplicate)
    {
        if (epoch == ProducerEpoch)
        {
            for (var i = 0; i < BatchCount; i++)
            {
                var batch = Batch(i);
                if (batch.LastSequence == lastSequence && batch.FirstSequence == firstSequence)
                {
                    duplicate = batch;
                    return true;
                }
            }
        }
        duplicate = default;
        return false;
    }
}
