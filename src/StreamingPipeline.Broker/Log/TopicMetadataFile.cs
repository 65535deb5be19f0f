using System.Buffers.Binary;
using System.Text.Json;
using StreamingPipeline.Storage;

namespace StreamingPipeline.Broker.Log;

/// <summary>
/// The durable description of one topic, <c>topics/&lt;topic&gt;.topic</c> under the data directory. Its presence is
/// what makes a topic exist: it is written last when a topic is created and deleted first when it is deleted.
/// </summary>
/// <remarks>
/// Format: one <see cref="ChecksummedFrame"/> (version 2) replaced through <see cref="AtomicFile"/> (temporary file,
/// fsync, rename, directory fsync). The payload is UTF-8 JSON: <c>{"name":…,"topicId":…,"partitions":…,"configs":{…}}</c>,
/// holding only the overrides so that changed broker defaults apply to existing topics, as in Kafka.
/// Version 1 files (magic u32 "SPTM" | version u16 | payload length u32 | payload | CRC-32C u32 of all bytes before
/// it) are still read; they are rewritten in version 2 at the topic's next config change.
/// </remarks>
internal static class TopicMetadataFile
{
    public const string Suffix = ".topic";
    private const short FormatVersion = 2;
    private const uint LegacyMagic = 0x5350544D; // "SPTM"
    private const ushort LegacyFormatVersion = 1;
    private const int LegacyPrefixSize = 10;
    private const int LegacyCrcSize = 4;

    /// <summary>The stored fields of a topic.</summary>
    public readonly record struct Contents(string Name, Guid TopicId, int PartitionCount, IReadOnlyDictionary<string, string> Overrides);

    /// <summary>Writes the file atomically and durably.</summary>
    public static void Write(string directory, Contents contents, IFileSystem? fileSystem = null) =>
        AtomicFile.WriteRecord(fileSystem ?? PhysicalFileSystem.Instance, PathFor(directory, contents.Name), FormatVersion, SerializePayload(contents));

    /// <summary>Reads and checks a file; throws <see cref="InvalidDataException"/> when it is damaged.</summary>
    public static Contents Read(string path, IFileSystem? fileSystem = null)
    {
        var bytes = (fileSystem ?? PhysicalFileSystem.Instance).ReadAllBytes(path);
        ReadOnlyMemory<byte> payload;
        if (bytes.Length >= 4 && BinaryPrimitives.ReadUInt32BigEndian(bytes) == LegacyMagic)
        {
            payload = ReadLegacyPayload(path, bytes);
        }
        else
        {
            var record = AtomicFile.Decode(path, bytes);
            if (record.Version != FormatVersion)
            {
                throw new InvalidDataException($"{path} has format version {record.Version}; this broker reads versions {LegacyFormatVersion} and {FormatVersion}.");
            }
            payload = record.Payload;
        }
        try
        {
            return DeserializePayload(payload);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path} has an unreadable payload: {ex.Message}", ex);
        }
    }

    /// <summary>The file of topic <paramref name="name"/> in <paramref name="directory"/>.</summary>
    public static string PathFor(string directory, string name) => Path.Combine(directory, name + Suffix);

    private static ReadOnlyMemory<byte> ReadLegacyPayload(string path, byte[] bytes)
    {
        if (bytes.Length < LegacyPrefixSize + LegacyCrcSize)
        {
            throw new InvalidDataException($"{path} is not a topic metadata file.");
        }
        var version = BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(4));
        if (version != LegacyFormatVersion)
        {
            throw new InvalidDataException($"{path} has format version {version}; this broker reads versions {LegacyFormatVersion} and {FormatVersion}.");
        }
        var payloadLength = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(6));
        if (payloadLength < 0 || LegacyPrefixSize + (long)payloadLength + LegacyCrcSize != bytes.Length)
        {
            throw new InvalidDataException($"{path} is truncated or has trailing bytes.");
        }
        var crcPosition = LegacyPrefixSize + payloadLength;
        if (BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(crcPosition)) != Crc32C.Compute(bytes.AsSpan(0, crcPosition)))
        {
            throw new InvalidDataException($"{path} fails its CRC check.");
        }
        return bytes.AsMemory(LegacyPrefixSize, payloadLength);
    }

    private static byte[] SerializePayload(Contents contents)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteString("name", contents.Name);
            writer.WriteString("topicId", contents.TopicId);
            writer.WriteNumber("partitions", contents.PartitionCount);
            writer.WriteStartObject("configs");
            foreach (var (key, value) in contents.Overrides.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                writer.WriteString(key, value);
            }
            writer.WriteEndObject();
            writer.WriteEndObject();
        }
        return stream.ToArray();
    }

    private static Contents DeserializePayload(ReadOnlyMemory<byte> payload)
    {
        using var document = JsonDocument.Parse(payload);
        var root = document.RootElement;
        var overrides = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in root.GetProperty("configs").EnumerateObject())
        {
            overrides[property.Name] = property.Value.GetString() ?? string.Empty;
        }
        return new Contents(
            root.GetProperty("name").GetString() ?? throw new InvalidDataException("The topic name is missing."),
            root.GetProperty("topicId").GetGuid(),
            root.GetProperty("partitions").GetInt32(),
            overrides);
    }
}
