namespace StreamingPipeline.Broker.Log;

/// <summary>
/// What an <see cref="IBatchAppendGuard"/> knows about the append a batch belongs to: who appends, the Produce
/// request's transactional id (null for plain and idempotent producers and for broker-built batches) and how many
/// batches the append holds.
/// </summary>
internal readonly record struct AppendContext(AppendOrigin Origin, string? TransactionalId, int BatchCount);
