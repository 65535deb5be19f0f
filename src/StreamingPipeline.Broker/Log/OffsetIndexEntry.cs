namespace StreamingPipeline.Broker.Log;

/// <summary>One offset-index entry: the batch whose base offset is the segment's base offset plus
/// <paramref name="RelativeOffset"/> starts at byte <paramref name="Position"/> of the segment file.</summary>
internal readonly record struct OffsetIndexEntry(int RelativeOffset, int Position);
