using System.Globalization;
using System.Text;
using StreamingPipeline.Storage;

namespace StreamingPipeline.Broker;

/// <summary>
/// The broker's identity, kept in <c>meta.properties</c> like Kafka's so the cluster id stays the same across restarts
/// (clients compare it to detect that they reconnected to a different cluster).
/// </summary>
/// <remarks>
/// Format: Kafka-style <c>key=value</c> lines, the last being <c>crc32c=xxxxxxxx</c>, the CRC-32C (hex) of every byte
/// before that line. Replaced through <see cref="AtomicFile"/>. A file without the checksum line (written before it
/// existed) is read and rewritten with one; a file whose checksum does not match is refused.
/// </remarks>
internal sealed record BrokerIdentity(string ClusterId, int NodeId)
{
    public const string FileName = "meta.properties";
    private const string FormatVersion = "1";
    private const string ChecksumKey = "crc32c=";

    public static BrokerIdentity LoadOrCreate(string dataDirectory, int nodeId, string? configuredClusterId, IFileSystem? fileSystem = null)
    {
        fileSystem ??= PhysicalFileSystem.Instance;
        var path = Path.Combine(dataDirectory, FileName);
        if (fileSystem.FileExists(path))
        {
            var (values, checksummed) = Parse(path, fileSystem.ReadAllBytes(path));
            if (values.TryGetValue("cluster.id", out var stored))
            {
                if (configuredClusterId is not null && configuredClusterId != stored)
                {
                    throw new InvalidOperationException($"{path} belongs to cluster {stored}, not the configured {configuredClusterId}.");
                }
                if (!checksummed)
                {
                    Write(fileSystem, path, stored, nodeId);
                }
                return new BrokerIdentity(stored, nodeId);
            }
        }
        // Kafka's cluster ids are 22-character URL-safe base64 UUIDs.
        var clusterId = configuredClusterId ?? Convert.ToBase64String(Guid.NewGuid().ToByteArray()).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        Write(fileSystem, path, clusterId, nodeId);
        return new BrokerIdentity(clusterId, nodeId);
    }

    private static void Write(IFileSystem fileSystem, string path, string clusterId, int nodeId)
    {
        var body = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"version={FormatVersion}\ncluster.id={clusterId}\nnode.id={nodeId}\n"));
        var checksum = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{ChecksumKey}{Crc32C.Compute(body):x8}\n"));
        AtomicFile.Replace(fileSystem, path, [.. body, .. checksum]);
    }

    /// <summary>The file's values, and whether it had a checksum line (which then matched).</summary>
    private static (Dictionary<string, string> Values, bool Checksummed) Parse(string path, byte[] bytes)
    {
        var text = Encoding.UTF8.GetString(bytes);
        var checksumLine = text.LastIndexOf("\n" + ChecksumKey, StringComparison.Ordinal) + 1;
        var checksummed = checksumLine > 0 || text.StartsWith(ChecksumKey, StringComparison.Ordinal);
        if (checksummed)
        {
            var stored = text[(checksumLine + ChecksumKey.Length)..].Trim();
            var bodyLength = Encoding.UTF8.GetByteCount(text.AsSpan(0, checksumLine));
            if (!uint.TryParse(stored, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var expected)
                || Crc32C.Compute(bytes.AsSpan(0, bodyLength)) != expected)
            {
                throw new InvalidDataException($"{path} fails its CRC check; restore it or delete it to start a new cluster id.");
            }
            text = text[..checksumLine];
        }
        var values = text.Split('\n')
            .Where(l => l.Contains('=', StringComparison.Ordinal) && !l.StartsWith('#'))
            .Select(l => l.Split('=', 2))
            .ToDictionary(kv => kv[0].Trim(), kv => kv[1].Trim(), StringComparer.Ordinal);
        return (values, checksummed);
    }
}
