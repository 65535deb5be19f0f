namespace StreamingPipeline.Broker.Transactions;

/// <summary>A transaction that a marker ended in one partition: its producer, first data offset and marker offset.</summary>
internal readonly record struct CompletedTransaction(long ProducerId, long FirstOffset, long LastOffset, bool IsAborted);
