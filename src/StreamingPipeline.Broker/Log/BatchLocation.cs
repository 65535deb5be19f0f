namespace StreamingPipeline.Broker.Log;

/// <summary>Where a batch lies in a segment file: its byte position, its whole size, and its base offset.</summary>
internal readonly record struct BatchLocation(long Position, int Size, long BaseOffset);
