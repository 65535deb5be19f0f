using StreamingPipeline.Broker.Groups;
using StreamingPipeline.Broker.Log;

namespace StreamingPipeline.Broker;

/// <summary>
/// Everything the API handlers share: the partition logs, the coordinators and the broker's identity. Each piece of
/// state has one owner (LogManager, GroupCoordinator, TransactionCoordinator) that documents its own threading.
/// </summary>
public sealed class BrokerState
{
    internal BrokerState(BrokerOptions options, LogManager logs, GroupCoordinator groups, string clusterId, int port, TimeProvider time)
    {
        Options = options;
        Logs = logs;
        Groups = groups;
        ClusterId = clusterId;
        Port = port;
        Time = time;
    }

    public BrokerOptions Options { get; }
    public LogManager Logs { get; }
    public GroupCoordinator Groups { get; }
    public string ClusterId { get; }
    public TimeProvider Time { get; }

    /// <summary>The port clients connect to (the real one when 0 was configured).</summary>
    public int Port { get; }

    public int NodeId => Options.NodeId;
    public string AdvertisedHost => Options.AdvertisedHost ?? Options.Host;

    /// <summary>
    /// The offset below which every transaction has been decided (Kafka's last stable offset): what read_committed
    /// consumers may see.
    /// </summary>
    public long LastStableOffset(PartitionLog partition) => partition.HighWatermark;
}
