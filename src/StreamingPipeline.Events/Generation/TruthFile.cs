using System.Buffers.Binary;
using System.IO.Hashing;
using StreamingPipeline.Storage;

namespace StreamingPipeline.Events.Generation;

/// <summary>
/// The truth file: every distinct valid eventId the generator sent, with how many times a correct dedup emits it.
/// Layout (version 2): <see cref="ChecksummedFrame"/>s of version 2, each payload a kind byte then its content: kind 1
/// holds up to <see cref="EntriesPerFrame"/> entries <c>uuid:16 (RFC 4122 byte order) expectation:u8</c> (17 bytes, so
/// ten million events take about 170 MB), and a last frame of kind 2 holds <c>count:i64</c>, so a file cut at a frame
/// boundary is detected as well as a torn or corrupt frame.
/// Entries appear when their fate is known (an event with a re-send only when the re-send is sent), not in stream order.
/// Version 1 files (<c>"SPTRUTH" 1</c>, entries, then <c>count:i64 crc32:u32</c> with CRC-32, not CRC-32C) are still read.
/// </summary>
public static class TruthFile
{
    internal const short Version = 2;
    internal const int EntryLength = 17;
    internal const int EntriesPerFrame = 4096;
    internal const byte EntriesKind = 1;
    internal const byte EndKind = 2;

    private const byte LegacyVersion = 1;
    private const int LegacyTrailerLength = 12;

    private static ReadOnlySpan<byte> LegacyMagic => "SPTRUTH"u8;

    /// <summary>Creates a writer for a new truth file at <paramref name="path"/>.</summary>
    public static TruthFileWriter Create(string path) => new(PhysicalFileSystem.Instance, path);

    /// <summary>Creates a writer for a new truth file at <paramref name="path"/> on <paramref name="fileSystem"/>.</summary>
    public static TruthFileWriter Create(IFileSystem fileSystem, string path) => new(fileSystem, path);

    /// <summary>Reads every entry of the file at <paramref name="path"/>, checking every frame and the final count.</summary>
    public static IEnumerable<TruthEntry> Read(string path) => Read(PhysicalFileSystem.Instance, path);

    /// <summary>Reads every entry of the file at <paramref name="path"/> on <paramref name="fileSystem"/>.</summary>
    public static IEnumerable<TruthEntry> Read(IFileSystem fileSystem, string path)
    {
        ArgumentNullException.ThrowIfNull(fileSystem);
        using var file = fileSystem.Open(path, FileMode.Open, FileAccess.Read);
        var start = new byte[LegacyMagic.Length + 1];
        var startLength = file.Read(start, 0);
        var entries = startLength == start.Length && start.AsSpan(0, LegacyMagic.Length).SequenceEqual(LegacyMagic)
            ? ReadLegacy(file, start[^1])
            : ReadFrames(file);
        foreach (var entry in entries)
        {
            yield return entry;
        }
    }

    private static IEnumerable<TruthEntry> ReadFrames(IStorageFile file)
    {
        var length = file.Length;
        var position = 0L;
        var count = 0L;
        var frame = new byte[ChecksummedFrame.SizeFor(1 + (EntriesPerFrame * EntryLength))];
        while (true)
        {
            var size = ReadFrame(file, position, length, ref frame);
            if (!ChecksummedFrame.TryRead(frame.AsSpan(0, size), out var version, out var payload, out _)
                || version != Version || payload.IsEmpty)
            {
                throw new InvalidDataException($"{file.Path} is truncated or corrupt (a frame at byte {position} fails its check).");
            }
            position += size;
            if (payload[0] == EndKind)
            {
                if (payload.Length != 9 || BinaryPrimitives.ReadInt64BigEndian(payload[1..]) != count || position != length)
                {
                    throw new InvalidDataException($"{file.Path} is corrupt (count mismatch or trailing bytes).");
                }
                yield break;
            }
            if (payload[0] != EntriesKind || (payload.Length - 1) % EntryLength != 0)
            {
                throw new InvalidDataException($"{file.Path} has an unknown frame kind {payload[0]} at byte {position - size}.");
            }
            var entryCount = (payload.Length - 1) / EntryLength;
            for (var i = 0; i < entryCount; i++)
            {
                var offset = ChecksummedFrame.HeaderSize + 1 + (i * EntryLength);
                count++;
                yield return new TruthEntry(new Guid(frame.AsSpan(offset, 16), bigEndian: true), (TruthExpectation)frame[offset + 16]);
            }
        }
    }

    /// <summary>Reads the frame at <paramref name="position"/> into <paramref name="frame"/>; returns its size, or throws when the file ends first.</summary>
    private static int ReadFrame(IStorageFile file, long position, long length, ref byte[] frame)
    {
        if (length - position < ChecksummedFrame.HeaderSize)
        {
            throw new InvalidDataException($"{file.Path} is truncated (no end frame).");
        }
        ReadExactly(file, frame.AsSpan(0, ChecksummedFrame.LengthSize), position);
        var size = BinaryPrimitives.ReadInt32BigEndian(frame) + ChecksummedFrame.LengthSize;
        if (size < ChecksummedFrame.HeaderSize || size - ChecksummedFrame.LengthSize > ChecksummedFrame.MaxFrameSize || size > length - position)
        {
            throw new InvalidDataException($"{file.Path} is truncated or corrupt (a frame at byte {position} has an impossible length).");
        }
        if (frame.Length < size)
        {
            frame = new byte[size];
        }
        ReadExactly(file, frame.AsSpan(0, size), position);
        return size;
    }

    private static void ReadExactly(IStorageFile file, Span<byte> buffer, long position)
    {
        while (!buffer.IsEmpty)
        {
            var read = file.Read(buffer, position);
            if (read == 0)
            {
                throw new InvalidDataException($"{file.Path} is truncated.");
            }
            buffer = buffer[read..];
            position += read;
        }
    }

    private static IEnumerable<TruthEntry> ReadLegacy(IStorageFile file, byte version)
    {
        if (version != LegacyVersion)
        {
            throw new InvalidDataException($"{file.Path} is not a version-{LegacyVersion} truth file.");
        }
        var headerLength = LegacyMagic.Length + 1;
        var bodyLength = file.Length - headerLength - LegacyTrailerLength;
        if (bodyLength < 0 || bodyLength % EntryLength != 0)
        {
            throw new InvalidDataException($"{file.Path} is truncated.");
        }
        var crc = new Crc32();
        var entry = new byte[EntryLength];
        var position = (long)headerLength;
        for (long i = 0; i < bodyLength / EntryLength; i++)
        {
            ReadExactly(file, entry, position);
            position += EntryLength;
            crc.Append(entry);
            yield return new TruthEntry(new Guid(entry.AsSpan(0, 16), bigEndian: true), (TruthExpectation)entry[16]);
        }
        var trailer = new byte[LegacyTrailerLength];
        ReadExactly(file, trailer, position);
        if (BinaryPrimitives.ReadInt64BigEndian(trailer) != bodyLength / EntryLength
            || BinaryPrimitives.ReadUInt32BigEndian(trailer.AsSpan(8)) != crc.GetCurrentHashAsUInt32())
        {
            throw new InvalidDataException($"{file.Path} is corrupt (count or CRC mismatch).");
        }
    }
}
