namespace StreamingPipeline.Processing;

/// <summary>A committed record of a task's output partition, read back for a restore.</summary>
/// <param name="Offset">Its offset in the output partition.</param>
/// <param name="Key">Its key bytes.</param>
/// <param name="Value">Its value bytes.</param>
/// <param name="Timestamp">Its timestamp, Unix milliseconds.</param>
public sealed record RestoreRecord(long Offset, byte[]? Key, byte[]? Value, long Timestamp);
