using Microsoft.Extensions.Logging;
using StreamingPipeline.Broker.Groups;
using StreamingPipeline.Broker.Log;
using StreamingPipeline.Protocol;

namespace StreamingPipeline.Broker.Transactions;

/// <summary>
/// The broker's <see cref="ITransactionMarkerWriter"/>: appends a COMMIT or ABORT <see cref="ControlBatch"/> to every
/// partition of a decided transaction through the partition's normal append path (origin Coordinator, so the
/// partition's producer state closes the transaction, indexes an abort and moves the last stable offset), then
/// publishes or drops the offsets the producer staged in the group coordinator. Idempotent, as the coordinator
/// requires: a repeated marker is harmless and a partition deleted meanwhile is skipped.
/// </summary>
public sealed class TransactionMarkerWriter(
    LogManager logs, GroupCoordinator groups, ProducerOffsetLocks offsetLocks, TimeProvider time, ILogger<TransactionMarkerWriter> logger)
    : ITransactionMarkerWriter
{
    /// <summary>The coordinator epoch written into markers: a single node never moves its coordinator.</summary>
    public const int CoordinatorEpoch = 0;

    /// <inheritdoc />
    public async ValueTask WriteMarkersAsync(
        long producerId,
        short producerEpoch,
        bool commit,
        IReadOnlyCollection<TopicPartition> partitions,
        IReadOnlyCollection<string> groupIds,
        CancellationToken cancellationToken)
    {
        var type = commit ? ControlRecordType.Commit : ControlRecordType.Abort;
        var marker = new byte[ControlBatch.Size];
        foreach (var (topic, partition) in partitions)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (logs.GetPartition(topic, partition) is not { } log)
            {
                continue;
            }

            // Rebuilt for each partition: the append rewrites the base offset in place.
            ControlBatch.Write(marker, producerId, producerEpoch, type, CoordinatorEpoch, time.GetUtcNow().ToUnixTimeMilliseconds());
            var result = log.Append(marker, AppendOrigin.Coordinator);
            switch (result.Error)
            {
                case ErrorCode.None:
                case ErrorCode.UnknownTopicOrPartition: // deleted while we wrote
                    break;
                case ErrorCode.InvalidProducerEpoch or ErrorCode.TransactionCoordinatorFenced:
                    // A newer epoch already ended whatever this producer had open there.
                    TransactionMarkerWriterLogMessages.StaleMarker(logger, producerId, producerEpoch, topic, partition, result.Error.ToString());
                    break;
                default:
                    throw new IOException($"Writing the {type} marker of producer {producerId} to {topic}-{partition} failed: {result.Error} {result.ErrorMessage}");
            }
        }
        if (groupIds.Count == 0)
        {
            return;
        }
        var error = await offsetLocks.RunExclusiveAsync(
            producerId, token => groups.CompleteTransactionAsync(producerId, commit, token), cancellationToken);
        if (error != ErrorCode.None)
        {
            throw new IOException($"Completing the offsets of producer {producerId} in the group coordinator failed: {error}");
        }
    }
}
