namespace StreamingPipeline.Broker.Transactions;

/// <summary>Settings of the <see cref="TransactionCoordinator"/>, named after Kafka's broker configs where one exists.</summary>
internal sealed record TransactionCoordinatorOptions
{
    /// <summary>Directory of the transaction log and the producer-id block file.</summary>
    public required string Directory { get; init; }

    /// <summary>transaction.max.timeout.ms: the largest transaction.timeout.ms a producer may ask for.</summary>
    public int MaxTransactionTimeoutMs { get; init; } = 900_000;

    /// <summary>transactional.id.expiration.ms: an id idle this long (no transaction open) is forgotten.</summary>
    public long TransactionalIdExpirationMs { get; init; } = 604_800_000;

    /// <summary>Producer ids reserved durably at a time; a restart skips the rest of the block.</summary>
    public int ProducerIdBlockSize { get; init; } = ProducerIdManager.DefaultBlockSize;

    /// <summary>Fsync every transaction-log append (default off: the OS page cache survives a killed process).</summary>
    public bool FlushToDisk { get; init; }

    /// <summary>First wait before writing markers again after a failure; doubles up to <see cref="MaxMarkerRetryBackoff"/>.</summary>
    public TimeSpan MarkerRetryBackoff { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Longest wait between marker retries.</summary>
    public TimeSpan MaxMarkerRetryBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The transaction log is rewritten when it holds this many entries and four times more than live ids.</summary>
    public int CompactionMinEntries { get; init; } = 1000;
}
