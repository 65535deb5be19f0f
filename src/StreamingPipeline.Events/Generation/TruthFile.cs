using System.Buffers.Binary;
using System.IO.Hashing;

namespace StreamingPipeline.Events.Generation;

/// <summary>
/// The truth file: every distinct valid eventId the generator sent, with how many times a correct dedup emits it.
/// Layout (17 bytes an event, so ten million events take 170 MB):
/// <c>"SPTRUTH" version:u8</c>, then entries <c>uuid:16 (RFC 4122 byte order) expectation:u8</c>, then a trailer
/// <c>count:i64 crc32:u32</c> (CRC-32 of all entry bytes, both big-endian) so a truncated file is detected.
/// Entries appear when their fate is known (an event with a re-send only when the re-send is sent), not in stream order.
/// </summary>
public static class TruthFile
{
    internal const byte Version = 1;
    internal const int EntryLength = 17;
    internal const int TrailerLength = 12;
    internal static ReadOnlySpan<byte> Magic => "SPTRUTH"u8;

    /// <summary>Creates a writer for a new truth file at <paramref name="path"/>.</summary>
    public static TruthFileWriter Create(string path) => new(path);

    /// <summary>Reads every entry of the file at <paramref name="path"/>, checking its header, count and CRC.</summary>
    public static IEnumerable<TruthEntry> Read(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var header = new byte[Magic.Length + 1];
        stream.ReadExactly(header);
        if (!header.AsSpan(0, Magic.Length).SequenceEqual(Magic) || header[^1] != Version)
        {
            throw new InvalidDataException($"{path} is not a version-{Version} truth file.");
        }
        var bodyLength = stream.Length - header.Length - TrailerLength;
        if (bodyLength < 0 || bodyLength % EntryLength != 0)
        {
            throw new InvalidDataException($"{path} is truncated.");
        }
        var crc = new Crc32();
        var entry = new byte[EntryLength];
        for (long i = 0; i < bodyLength / EntryLength; i++)
        {
            stream.ReadExactly(entry);
            crc.Append(entry);
            yield return new TruthEntry(new Guid(entry.AsSpan(0, 16), bigEndian: true), (TruthExpectation)entry[16]);
        }
        var trailer = new byte[TrailerLength];
        stream.ReadExactly(trailer);
        if (BinaryPrimitives.ReadInt64BigEndian(trailer) != bodyLength / EntryLength
            || BinaryPrimitives.ReadUInt32BigEndian(trailer.AsSpan(8)) != crc.GetCurrentHashAsUInt32())
        {
            throw new InvalidDataException($"{path} is corrupt (count or CRC mismatch).");
        }
    }
}
