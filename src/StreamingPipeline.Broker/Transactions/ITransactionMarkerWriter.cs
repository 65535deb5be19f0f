using StreamingPipeline.Broker.Log;

namespace StreamingPipeline.Broker.Transactions;

/// <summary>
/// Applies a decided transaction outside the coordinator; implemented by the broker wiring. It appends a
/// <see cref="ControlBatch"/> (COMMIT or ABORT, with the producer id and epoch
/// as given, origin <see cref="AppendOrigin.Coordinator"/>) to every partition, and makes the group coordinator
/// publish (commit) or drop (abort) the offsets the producer staged with TxnOffsetCommit for every group.
/// <para>
/// It must be idempotent: after a crash the coordinator writes the same markers again. A marker for a producer with
/// no transaction open in a partition is harmless, a group with nothing staged by that producer is a no-op, and a
/// partition that no longer exists is skipped. Staged transactional offsets must therefore survive a broker restart
/// until a marker decides them. Throwing leaves the transaction completing; the coordinator retries later.
/// </para>
/// </summary>
public interface ITransactionMarkerWriter
{
    /// <summary>Writes the markers and completes the groups' staged offsets; returns once all are durable in the log.</summary>
    ValueTask WriteMarkersAsync(
        long producerId,
        short producerEpoch,
        bool commit,
        IReadOnlyCollection<TopicPartition> partitions,
        IReadOnlyCollection<string> groupIds,
        CancellationToken cancellationToken);
}
