namespace StreamingPipeline.Broker.Transactions;

/// <summary>The type field of a control record's key that ends a transaction (Kafka's ControlRecordType ids).</summary>
internal enum ControlRecordType : short
{
    /// <summary>The transaction's records are discarded by read_committed consumers.</summary>
    Abort = 0,

    /// <summary>The transaction's records become visible to read_committed consumers.</summary>
    Commit = 1,
}
