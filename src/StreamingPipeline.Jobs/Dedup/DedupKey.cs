using System.IO.Hashing;
using System.Text;
using StreamingPipeline.Events;

namespace StreamingPipeline.Jobs.Dedup;

/// <summary>Writes the state key of an (eventId, userId) in a <see cref="DedupKeyFormat"/>.</summary>
public static class DedupKey
{
    /// <summary>The format new state is written in.</summary>
    public const DedupKeyFormat DefaultFormat = DedupKeyFormat.Hash96;

    /// <summary>The longest key of any format: the text eventId plus the longest userId the parser accepts.</summary>
    public const int MaxLength = 36 + UserEventLimits.MaxIdBytes;

    /// <summary>Bytes of a <see cref="DedupKeyFormat.Hash96"/> key.</summary>
    public const int HashBytes = 12;

    /// <summary>The name a store records for <paramref name="format"/>, so state written in another format is not read as this one.</summary>
    public static string LayoutName(DedupKeyFormat format) => format switch
    {
        DedupKeyFormat.Hash96 => "hash96",
        DedupKeyFormat.Binary => "binary",
        DedupKeyFormat.Text => "text",
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "not a key format"),
    };

    /// <summary>Writes the key into <paramref name="destination"/> (at least <see cref="MaxLength"/> bytes) and returns its length.</summary>
    public static int Write(DedupKeyFormat format, Guid eventId, string userId, Span<byte> destination)
    {
        Span<byte> userIdUtf8 = stackalloc byte[UserEventLimits.MaxIdBytes];
        var length = Encoding.UTF8.GetBytes(userId, userIdUtf8);
        return Write(format, eventId, userIdUtf8[..length], destination);
    }

    /// <summary>
    /// Writes the key of an event whose userId is given as its UTF-8 bytes (at most <see cref="UserEventLimits.MaxIdBytes"/>)
    /// into <paramref name="destination"/> (at least <see cref="MaxLength"/> bytes) and returns its length.
    /// </summary>
    public static int Write(DedupKeyFormat format, Guid eventId, ReadOnlySpan<byte> userIdUtf8, Span<byte> destination)
    {
        switch (format)
        {
            case DedupKeyFormat.Text:
                eventId.TryFormat(destination, out var written, "D");
                userIdUtf8.CopyTo(destination[written..]);
                return written + userIdUtf8.Length;
            case DedupKeyFormat.Binary:
                eventId.TryWriteBytes(destination, bigEndian: true, out _);
                userIdUtf8.CopyTo(destination[16..]);
                return 16 + userIdUtf8.Length;
            case DedupKeyFormat.Hash96:
                Span<byte> exact = stackalloc byte[16 + UserEventLimits.MaxIdBytes];
                eventId.TryWriteBytes(exact, bigEndian: true, out _);
                userIdUtf8.CopyTo(exact[16..]);
                Span<byte> hash = stackalloc byte[16];
                XxHash128.Hash(exact[..(16 + userIdUtf8.Length)], hash);
                hash[..HashBytes].CopyTo(destination);
                return HashBytes;
            default:
                throw new ArgumentOutOfRangeException(nameof(format), format, "not a key format");
        }
    }
}
