namespace StreamingPipeline.Jobs.Dedup;

/// <summary>How a remembered (eventId, userId) is written as a state key (docs/STATE_SIZE.md weighs them).</summary>
public enum DedupKeyFormat
{
    /// <summary>96 bits of XXH128 over the eventId's 16 bytes and the userId: 12 bytes, a stated collision risk (the default).</summary>
    Hash96,

    /// <summary>The eventId's 16 bytes (RFC 4122 order) followed by the userId in UTF-8: exact, 16 + userId bytes.</summary>
    Binary,

    /// <summary>The eventId's 36-char text followed by the userId in UTF-8: exact, the uncompacted baseline.</summary>
    Text,
}
