using Microsoft.Extensions.Logging;

namespace StreamingPipeline.Broker.Transactions;

/// <summary>The coordinator's log messages, source-generated so nothing is formatted unless the level is on.</summary>
internal static partial class TransactionCoordinatorLogMessages
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded {Count} transactional ids; completing {Completing} decided transactions")]
    public static partial void Loaded(ILogger logger, int count, int completing);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing {Result} markers for {TransactionalId} failed; retrying in {Backoff}")]
    public static partial void MarkersFailed(ILogger logger, Exception exception, string transactionalId, string result, TimeSpan backoff);

    [LoggerMessage(Level = LogLevel.Information, Message = "Aborting transaction of {TransactionalId} (producer {ProducerId}) after its timeout of {TimeoutMs} ms")]
    public static partial void TimedOut(ILogger logger, string transactionalId, long producerId, int timeoutMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "Fencing producer {ProducerId} epoch {Epoch} of {TransactionalId}: aborting its ongoing transaction")]
    public static partial void Fencing(ILogger logger, string transactionalId, long producerId, short epoch);

    [LoggerMessage(Level = LogLevel.Information, Message = "Transactional id {TransactionalId} expired")]
    public static partial void Expired(ILogger logger, string transactionalId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Transaction coordinator background work failed")]
    public static partial void BackgroundFailed(ILogger logger, Exception exception);
}
