namespace StreamingPipeline.Storage;

/// <summary>The one record of an <see cref="AtomicFile"/>: its format version and payload.</summary>
public readonly record struct FramedRecord(short Version, ReadOnlyMemory<byte> Payload);
