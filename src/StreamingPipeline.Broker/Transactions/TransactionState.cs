namespace StreamingPipeline.Broker.Transactions;

/// <summary>
/// The coordinator's state of a transactional id (Kafka's TransactionState ids, persisted in the transaction log).
/// Empty → Ongoing (AddPartitions/AddOffsets) → PrepareCommit|PrepareAbort (EndTxn, timeout, fencing) →
/// CompleteCommit|CompleteAbort once every marker is written → Ongoing again with the next transaction.
/// </summary>
internal enum TransactionState : byte
{
    /// <summary>Initialised by InitProducerId, no transaction open.</summary>
    Empty = 0,

    /// <summary>A transaction is open: partitions or groups have been added.</summary>
    Ongoing = 1,

    /// <summary>Commit decided and durable; markers are being written.</summary>
    PrepareCommit = 2,

    /// <summary>Abort decided and durable; markers are being written.</summary>
    PrepareAbort = 3,

    /// <summary>Every COMMIT marker written.</summary>
    CompleteCommit = 4,

    /// <summary>Every ABORT marker written.</summary>
    CompleteAbort = 5,
}
