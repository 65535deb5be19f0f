using System.Text;
using StreamingPipeline.Events;

namespace StreamingPipeline.Jobs.Dedup;

/// <summary>The compact state key: the eventId's 16 bytes (RFC 4122 order) followed by the userId in UTF-8.</summary>
public static class DedupKey
{
    /// <summary>The longest key: 16 bytes plus the longest userId the parser accepts.</summary>
    public const int MaxLength = 16 + UserEventLimits.MaxIdBytes;

    /// <summary>Writes the key into <paramref name="destination"/> and returns its length.</summary>
    public static int Write(Guid eventId, string userId, Span<byte> destination)
    {
        eventId.TryWriteBytes(destination, bigEndian: true, out _);
        return 16 + Encoding.UTF8.GetBytes(userId, destination[16..]);
    }
}
