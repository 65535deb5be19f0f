namespace StreamingPipeline.Observability.Inspection;

/// <summary>One record header.</summary>
/// <param name="Key">The header's name.</param>
/// <param name="Value">Its bytes, or null.</param>
public sealed record MessageHeader(string Key, byte[]? Value);
