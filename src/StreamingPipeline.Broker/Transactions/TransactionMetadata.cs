using System.Collections.Immutable;
using StreamingPipeline.Broker.Log;

namespace StreamingPipeline.Broker.Transactions;

/// <summary>
/// What the coordinator knows of one transactional id; immutable, replaced as a whole on every transition, and
/// persisted whole in the transaction log (so the last entry of an id is its state).
/// </summary>
/// <param name="TransactionalId">The producer's transactional.id.</param>
/// <param name="ProducerId">The producer id currently mapped to it.</param>
/// <param name="PreviousProducerId">The id before the last rotation (epoch exhaustion), -1 if none.</param>
/// <param name="ProducerEpoch">The current epoch; older epochs are fenced.</param>
/// <param name="LastProducerEpoch">The epoch before the last InitProducerId bump, -1 when a new producer fenced it; lets a retried InitProducerId get the same answer.</param>
/// <param name="TimeoutMs">transaction.timeout.ms of the producer.</param>
/// <param name="State">Where the transaction is.</param>
/// <param name="Partitions">Partitions added to the ongoing transaction.</param>
/// <param name="GroupIds">Consumer groups whose offsets are part of the ongoing transaction (AddOffsetsToTxn).</param>
/// <param name="TransactionStartMs">When the ongoing transaction began (its first AddPartitions/AddOffsets), -1 if none.</param>
/// <param name="LastUpdateMs">When the state last changed.</param>
public sealed record TransactionMetadata(
    string TransactionalId,
    long ProducerId,
    long PreviousProducerId,
    short ProducerEpoch,
    short LastProducerEpoch,
    int TimeoutMs,
    TransactionState State,
    ImmutableHashSet<TopicPartition> Partitions,
    ImmutableHashSet<string> GroupIds,
    long TransactionStartMs,
    long LastUpdateMs)
{
    /// <summary>True while a commit or abort is decided but its markers are not all written.</summary>
    public bool IsCompleting => State is TransactionState.PrepareCommit or TransactionState.PrepareAbort;

    /// <summary>True when no transaction is open or completing, so the id may expire and InitProducerId may bump the epoch.</summary>
    public bool IsIdle => State is TransactionState.Empty or TransactionState.CompleteCommit or TransactionState.CompleteAbort;

    /// <summary>When the ongoing transaction times out, in ms since the epoch.</summary>
    public long TimeoutDeadlineMs => TransactionStartMs + TimeoutMs;

    /// <summary>
    /// Whether <paramref name="epoch"/> is too close to short.MaxValue to hand out: Kafka keeps the last values so the
    /// coordinator can always fence the holder by one more bump.
    /// </summary>
    public static bool IsEpochExhausted(short epoch) => epoch >= short.MaxValue - 1;
}
