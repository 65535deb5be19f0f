using System.Buffers.Binary;
using System.Text.Json;

namespace StreamingPipeline.Broker.Log;

/// <summary>
/// The durable description of one topic, <c>topics/&lt;topic&gt;.topic</c> under the data directory. Its presence is
/// what makes a topic exist: it is written last when a topic is created and deleted first when it is deleted.
/// </summary>
/// <remarks>
/// Format (version 1, big-endian): magic u32 "SPTM" | version u16 | payload length u32 | payload | CRC-32C u32 of all
/// bytes before it. The payload is UTF-8 JSON: <c>{"name":…,"topicId":…,"partitions":…,"configs":{…}}</c>, holding
/// only the overrides so that changed broker defaults apply to existing topics, as in Kafka.
/// Written to a temporary file, fsynced, renamed over the old one, and the directory fsynced.
/// </remarks>
internal static class TopicMetadataFile
{
    public const string Suffix = ".topic";
    private const uint Magic = 0x5350544D; // "SPTM"
    private const ushort FormatVersion = 1;
    private const int PrefixSize = 10;
    private const int CrcSize = 4;

    /// <summary>The stored fields of a topic.</summary>
    public readonly record struct Contents(string Name, Guid TopicId, int PartitionCount, IReadOnlyDictionary<string, string> Overrides);

    /// <summary>Writes the file atomically and durably.</summary>
    public static void Write(string directory, Contents contents)
    {
        var payload = SerializePayload(contents);
        var bytes = new byte[PrefixSize + payload.Length + CrcSize];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, Magic);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(4), FormatVersion);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(6), payload.Length);
        payload.CopyTo(bytes.AsSpan(PrefixSize));
        var crcPosition = PrefixSize + payload.Length;
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(crcPosition), Crc32C.Compute(bytes.AsSpan(0, crcPosition)));

        // Short temporary name: a 249-character topic name plus a suffix would exceed the file-name limit.
        var temporary = Path.Combine(directory, Guid.NewGuid().ToString("N") + ".tmp");
        using (var handle = File.OpenHandle(temporary, FileMode.CreateNew, FileAccess.Write))
        {
            RandomAccess.Write(handle, bytes, 0);
            RandomAccess.FlushToDisk(handle);
        }
        File.Move(temporary, PathFor(directory, contents.Name), overwrite: true);
        DirectorySync.Flush(directory);
    }

    /// <summary>Reads and checks a file; throws <see cref="InvalidDataException"/> when it is damaged.</summary>
    public static Contents Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < PrefixSize + CrcSize || BinaryPrimitives.ReadUInt32BigEndian(bytes) != Magic)
        {
            throw new InvalidDataException($"{path} is not a topic metadata file.");
        }
        var version = BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(4));
        if (version != FormatVersion)
        {
            throw new InvalidDataException($"{path} has format version {version}; this broker reads version {FormatVersion}.");
        }
        var payloadLength = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(6));
        if (payloadLength < 0 || PrefixSize + (long)payloadLength + CrcSize != bytes.Length)
        {
            throw new InvalidDataException($"{path} is truncated or has trailing bytes.");
        }
        var crcPosition = PrefixSize + payloadLength;
        if (BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(crcPosition)) != Crc32C.Compute(bytes.AsSpan(0, crcPosition)))
        {
            throw new InvalidDataException($"{path} fails its CRC check.");
        }
        try
        {
            return DeserializePayload(bytes.AsMemory(PrefixSize, payloadLength));
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path} has an unreadable payload: {ex.Message}", ex);
        }
    }

    /// <summary>The file of topic <paramref name="name"/> in <paramref name="directory"/>.</summary>
    public static string PathFor(string directory, string name) => Path.Combine(directory, name + Suffix);

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
