namespace StreamingPipeline.Broker.Tests.Log;

/// <summary>A record as the tests build and read it back.</summary>
internal sealed record TestRecord(long Offset, long Timestamp, byte[]? Key, byte[]? Value);
