using StreamingPipeline.Broker.Groups;
using StreamingPipeline.Broker.Log;
using StreamingPipeline.Broker.Transactions;

namespace StreamingPipeline.Broker;

/// <summary>
/// Everything the API handlers share: the partition logs, the coordinators and the broker's identity. Each piece of
/// state has one owner (LogManager, GroupCoordinator, TransactionCoordinator) that documents its own threading.
/// </summary>
internal sealed class BrokerState
{
    internal BrokerState(
        BrokerOptions options,
        LogManager logs,
        GroupCoordinator groups,
        TransactionCoordinator transactions,
        ProducerOffsetLocks transactionalOffsetLocks,
        string clusterId,
        int port,
        TimeProvider time,
        DynamicBrokerConfigs dynamicConfigs)
    {
        DynamicConfigs = dynamicConfigs;
        Options = options;
        Logs = logs;
        Groups = groups;
        Transactions = transactions;
        TransactionalOffsetLocks = transactionalOffsetLocks;
        ClusterId = clusterId;
        Port = port;
        Time = time;
    }

    /// <summary>The options the broker runs with.</summary>
    public BrokerOptions Options { get; }

    /// <summary>The broker configs changed at runtime, and the settings in effect.</summary>
    public DynamicBrokerConfigs DynamicConfigs { get; }

    /// <summary>Every partition log.</summary>
    public LogManager Logs { get; }

    /// <summary>Consumer groups and committed offsets.</summary>
    public GroupCoordinator Groups { get; }

    /// <summary>Producer ids, epochs and transactions.</summary>
    public TransactionCoordinator Transactions { get; }

    /// <summary>Orders TxnOffsetCommit staging against the completion of the same producer's transaction.</summary>
    public ProducerOffsetLocks TransactionalOffsetLocks { get; }

    /// <summary>The cluster id reported in metadata.</summary>
    public string ClusterId { get; }

    /// <summary>The broker's clock.</summary>
    public TimeProvider Time { get; }

    /// <summary>The port clients connect to (the real one when 0 was configured).</summary>
    public int Port { get; }

    /// <summary>This broker's node id.</summary>
    public int NodeId => Options.NodeId;

    /// <summary>The host clients are told to connect to.</summary>
    public string AdvertisedHost => Options.AdvertisedHost ?? Options.Host;

    /// <summary>
    /// The offset below which every transaction has been decided (Kafka's last stable offset): what read_committed
    /// consumers may see.
    /// </summary>
    public long LastStableOffset(PartitionLog partition) => partition.LastStableOffset;

    /// <summary>The partition's aborted-transaction index, or null when the partition has no producer state attached.</summary>
    public AbortedTransactionIndex? AbortedTransactions(PartitionLog partition) =>
        (partition.AppendGuard as PartitionProducerState)?.AbortedTransactions;
}
