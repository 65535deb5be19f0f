namespace StreamingPipeline.Broker.Transactions;

/// <summary>The content of an end-transaction control record: COMMIT or ABORT, and the coordinator epoch that wrote it.</summary>
internal readonly record struct TransactionMarker(ControlRecordType Type, int CoordinatorEpoch)
{
    /// <summary>True for an ABORT marker.</summary>
    public bool IsAbort => Type == ControlRecordType.Abort;
}
