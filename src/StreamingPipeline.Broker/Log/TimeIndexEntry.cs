namespace StreamingPipeline.Broker.Log;

/// <summary>One time-index entry: every batch up to and including the one at the segment's base offset plus
/// <paramref name="RelativeOffset"/> has a max timestamp of at most <paramref name="Timestamp"/>.</summary>
internal readonly record struct TimeIndexEntry(long Timestamp, int RelativeOffset);
