namespace StreamingPipeline.Testing;

/// <summary>One record decoded from a record batch by <see cref="RecordBatchBuilder.ReadRecords"/>.</summary>
public sealed record TestRecord(long Offset, long Timestamp, byte[]? Key, byte[]? Value);
