namespace StreamingPipeline.Storage;

/// <summary>Receives one record of a <see cref="FramedLog"/> on open; <paramref name="payload"/> is valid only during the call.</summary>
public delegate void FrameReader(short version, ReadOnlySpan<byte> payload);
