namespace StreamingPipeline.Events;

/// <summary>The bounds a valid event's fields and record must respect; the parser rejects anything outside them.</summary>
public static class UserEventLimits
{
    /// <summary>Largest accepted record value, in bytes (a real event is about 200).</summary>
    public const int MaxRecordBytes = 16 * 1024;

    /// <summary>Longest accepted <c>eventId</c>, <c>userId</c> or <c>sessionId</c>, in UTF-8 bytes.</summary>
    public const int MaxIdBytes = 128;

    /// <summary>Longest accepted <c>page</c>, in UTF-8 bytes.</summary>
    public const int MaxPageBytes = 2048;

    /// <summary>Earliest accepted timestamp: 2000-01-01T00:00:00Z in epoch ms.</summary>
    public const long MinTimestamp = 946_684_800_000;

    /// <summary>First rejected timestamp: 2100-01-01T00:00:00Z in epoch ms.</summary>
    public const long MaxTimestampExclusive = 4_102_444_800_000;
}
