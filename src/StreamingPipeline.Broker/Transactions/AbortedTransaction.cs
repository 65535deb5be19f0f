namespace StreamingPipeline.Broker.Transactions;

/// <summary>
/// An entry of the aborted-transaction index: the producer, the transaction's first data offset, the offset of its
/// ABORT marker, and the partition's last stable offset once it was aborted (which lets a query stop early).
/// </summary>
internal readonly record struct AbortedTransaction(long ProducerId, long FirstOffset, long LastOffset, long LastStableOffset);
