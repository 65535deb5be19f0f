using System.Globalization;

namespace StreamingPipeline.Broker;

/// <summary>
/// The broker's identity, kept in <c>meta.properties</c> like Kafka's so the cluster id stays the same across restarts
/// (clients compare it to detect that they reconnected to a different cluster).
/// </summary>
internal sealed record BrokerIdentity(string ClusterId, int NodeId)
{
    private const string FileName = "meta.properties";
    private const string FormatVersion = "1";

    public static BrokerIdentity LoadOrCreate(string dataDirectory, int nodeId, string? configuredClusterId)
    {
        var path = Path.Combine(dataDirectory, FileName);
        if (File.Exists(path))
        {
            var values = File.ReadAllLines(path)
                .Where(l => l.Contains('=', StringComparison.Ordinal) && !l.StartsWith('#'))
                .Select(l => l.Split('=', 2))
                .ToDictionary(kv => kv[0].Trim(), kv => kv[1].Trim(), StringComparer.Ordinal);
            if (values.TryGetValue("cluster.id", out var stored))
            {
                if (configuredClusterId is not null && configuredClusterId != stored)
                {
                    throw new InvalidOperationException($"{path} belongs to cluster {stored}, not the configured {configuredClusterId}.");
                }
                return new BrokerIdentity(stored, nodeId);
            }
        }
        // Kafka's cluster ids are 22-character URL-safe base64 UUIDs.
        var clusterId = configuredClusterId ?? Convert.ToBase64String(Guid.NewGuid().ToByteArray()).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var temp = path + ".tmp";
        File.WriteAllText(temp, string.Create(CultureInfo.InvariantCulture, $"version={FormatVersion}\ncluster.id={clusterId}\nnode.id={nodeId}\n"));
        File.Move(temp, path, overwrite: true);
        return new BrokerIdentity(clusterId, nodeId);
    }
}
