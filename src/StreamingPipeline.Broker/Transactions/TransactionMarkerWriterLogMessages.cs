using Microsoft.Extensions.Logging;

namespace StreamingPipeline.Broker.Transactions;

/// <summary>The marker writer's log messages, source-generated so nothing is formatted unless the level is on.</summary>
internal static partial class TransactionMarkerWriterLogMessages
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Skipped the marker of producer {ProducerId} epoch {Epoch} at {Topic}-{Partition}: {Error}")]
    public static partial void StaleMarker(ILogger logger, long producerId, short epoch, string topic, int partition, string error);
}
