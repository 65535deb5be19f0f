using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StreamingPipeline.Broker.Apis;
using StreamingPipeline.Broker.Groups;
using StreamingPipeline.Broker.Log;
using StreamingPipeline.Broker.Log.Cleaner;
using StreamingPipeline.Broker.Network;
using StreamingPipeline.Broker.Transactions;
using StreamingPipeline.Protocol;

namespace StreamingPipeline.Broker;

/// <summary>
/// A single-node, durable, Kafka-wire-compatible broker running inside this process. Unmodified Kafka clients connect
/// to <see cref="BootstrapServers"/> over TCP. Use <see cref="CreateBuilder"/> in tests and
/// <see cref="StartAsync(BrokerOptions, ILoggerFactory?, CancellationToken)"/> to run one as a server.
/// </summary>
public sealed class EmbeddedBroker : IAsyncDisposable
{
    /// <summary>The transaction coordinator's directory under the data directory.</summary>
    public const string TransactionStateDirectoryName = "__transaction_state";

    private readonly KafkaListener _listener;
    private readonly LogManager _logs;
    private readonly GroupCoordinator _groups;
    private readonly TransactionCoordinator _transactions;
    private readonly bool _ownsDirectory;
    private int _disposed;

    private EmbeddedBroker(BrokerState state, KafkaListener listener, LogCleaner cleaner, BrokerMetrics metrics, bool ownsDirectory)
    {
        Metrics = metrics;
        State = state;
        Cleaner = cleaner;
        _listener = listener;
        _logs = state.Logs;
        _groups = state.Groups;
        _transactions = state.Transactions;
        _ownsDirectory = ownsDirectory;
    }

    /// <summary>A builder for a broker on a random free port with a temporary data directory.</summary>
    public static EmbeddedBrokerBuilder CreateBuilder() => new();

    /// <summary>host:port for a client's bootstrap.servers.</summary>
    public string BootstrapServers => $"{State.AdvertisedHost}:{State.Port}";

    /// <summary>The port the broker listens on.</summary>
    public int Port => State.Port;

    /// <summary>The options the broker runs with.</summary>
    public BrokerOptions Options => State.Options;

    /// <summary>The network layer's live counters (requests, latency, bytes, connections).</summary>
    public BrokerMetrics Metrics { get; }

    /// <summary>Transactions open now: partitions or groups added and not yet completed (markers included).</summary>
    public int OpenTransactions => _transactions.Transactions.Count(t => !t.IsIdle);

    /// <summary>Where every partition's log stands now, by topic and partition.</summary>
    public IReadOnlyList<PartitionOffsets> GetPartitionOffsets()
    {
        var offsets = new List<PartitionOffsets>();
        foreach (var topic in _logs.Topics.OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            for (var partition = 0; partition < topic.PartitionCount; partition++)
            {
                if (_logs.GetPartition(topic.Name, partition) is { } log)
                {
                    offsets.Add(new PartitionOffsets(topic.Name, partition, log.LogStartOffset, log.LogEndOffset, log.LastStableOffset));
                }
            }
        }
        return offsets;
    }

    /// <summary>The broker's state, for tests and the embedded pipeline that look inside.</summary>
    internal BrokerState State { get; }

    /// <summary>The log cleaner that compacts cleanup.policy=compact topics; tests ask it for rounds.</summary>
    internal LogCleaner Cleaner { get; }

    /// <summary>Starts a broker with <paramref name="options"/>; it serves until disposed.</summary>
    public static Task<EmbeddedBroker> StartAsync(BrokerOptions options, ILoggerFactory? loggers = null, CancellationToken cancellationToken = default) =>
        StartAsync(options, [], ownsDirectory: false, loggers, TimeProvider.System, cancellationToken);

    internal static async Task<EmbeddedBroker> StartAsync(
        BrokerOptions options,
        IReadOnlyList<(string Name, int Partitions, IReadOnlyDictionary<string, string> Configs)> topics,
        bool ownsDirectory,
        ILoggerFactory? loggers,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await Task.Yield();
        loggers ??= NullLoggerFactory.Instance;
        // Bind before touching the data directory: a second broker started on a busy port must leave no trace.
        var metrics = new BrokerMetrics();
        var listener = new KafkaListener(new IPEndPoint(IPAddress.Parse(options.Host), options.Port), options.MaxRequestBytes, metrics, loggers.CreateLogger<KafkaListener>());
        try
        {
            return await OpenAndServeAsync(options, topics, ownsDirectory, listener, metrics, loggers, time, cancellationToken);
        }
        catch (Exception ex)
        {
            await listener.DisposeAsync();
            if (ex is not BrokerStartException && StartFailure.Describe(ex, options.DataDirectory) is { } reason)
            {
                throw new BrokerStartException(reason, ex);
            }
            throw;
        }
    }

    private static async Task<EmbeddedBroker> OpenAndServeAsync(
        BrokerOptions options,
        IReadOnlyList<(string Name, int Partitions, IReadOnlyDictionary<string, string> Configs)> topics,
        bool ownsDirectory,
        KafkaListener listener,
        BrokerMetrics metrics,
        ILoggerFactory loggers,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        StartFailure.RequireUsableDirectory(options.DataDirectory);

        // Partitions are opened (and their producer state recovered) before the transaction coordinator, which writes
        // the markers of transactions it finds decided but unfinished; it is handed to the partitions once open, and
        // nothing produces before the listener starts.
        TransactionCoordinator? transactions = null;
        var producerStateOptions = new ProducerStateManagerOptions();
        var dynamicConfigs = DynamicBrokerConfigs.Load(options);
        var settings = dynamicConfigs.Current;
        var logs = LogManager.Open(Path.Combine(options.DataDirectory, "topics"), settings.LogDefaults, time, loggers,
            new LogManagerOptions
            {
                RetentionCheckInterval = options.RetentionCheckInterval,
                AppendGuardFactory = log => PartitionProducerState.Open(log, () => Volatile.Read(ref transactions), producerStateOptions, time),
            });
        BrokerIdentity identity;
        try
        {
            // After the directory lock (taken by the log manager), so a broker refused the directory writes nothing in it.
            identity = BrokerIdentity.LoadOrCreate(options.DataDirectory, options.NodeId, options.ClusterId);
        }
        catch
        {
            await logs.DisposeAsync();
            throw;
        }
        GroupCoordinator? groups = null;
        var offsetLocks = new ProducerOffsetLocks();
        try
        {
            groups = await GroupCoordinator.OpenAsync(
                Path.Combine(options.DataDirectory, "__consumer_offsets"),
                new GroupCoordinatorOptions { InitialRebalanceDelay = options.GroupInitialRebalanceDelay },
                time,
                loggers.CreateLogger<GroupCoordinator>(),
                cancellationToken);
            var markers = new TransactionMarkerWriter(logs, groups, offsetLocks, time, loggers.CreateLogger<TransactionMarkerWriter>());
            var coordinator = await TransactionCoordinator.OpenAsync(
                new TransactionCoordinatorOptions { Directory = Path.Combine(options.DataDirectory, TransactionStateDirectoryName) },
                markers,
                time,
                loggers.CreateLogger<TransactionCoordinator>(),
                cancellationToken);
            Volatile.Write(ref transactions, coordinator);
            foreach (var (name, partitions, configs) in topics)
            {
                var created = logs.CreateTopic(name, partitions, configs, validateOnly: false);
                if (created.Error is not (ErrorCode.None or ErrorCode.TopicAlreadyExists))
                {
                    throw new ArgumentException($"Cannot create topic '{name}': {created.Error} {created.ErrorMessage}");
                }
            }
            var state = new BrokerState(options, logs, groups, coordinator, offsetLocks, identity.ClusterId, listener.EndPoint.Port, time, dynamicConfigs);
            RequestDispatcher? dispatcher = null;
            dispatcher = new RequestDispatcher(CreateHandlers(state, () => dispatcher!));
            var cleaner = new LogCleaner(
                logs,
                new LogCleanerOptions
                {
                    DedupeBufferBytes = settings.CleanerDedupeBufferBytes,
                    Backoff = settings.CleanerBackoff,
                    Enabled = options.LogCleanerEnabled,
                    IoMaxBytesPerSecond = settings.CleanerIoMaxBytesPerSecond,
                },
                time,
                loggers.CreateLogger<LogCleaner>());
            dynamicConfigs.Applied = changed =>
            {
                logs.SetDefaults(changed.LogDefaults);
                cleaner.Reconfigure(changed.CleanerIoMaxBytesPerSecond, changed.CleanerBackoff, changed.CleanerDedupeBufferBytes);
            };
            cleaner.Start();
            listener.Start(dispatcher);
            return new EmbeddedBroker(state, listener, cleaner, metrics, ownsDirectory);
        }
        catch
        {
            if (transactions is not null)
            {
                await transactions.DisposeAsync();
            }
            if (groups is not null)
            {
                await groups.DisposeAsync();
            }
            await logs.DisposeAsync();
            offsetLocks.Dispose();
            throw;
        }
    }

    private static IApiHandler[] CreateHandlers(BrokerState state, Func<RequestDispatcher> dispatcher) =>
    [
        new ApiVersionsHandler(dispatcher),
        new MetadataHandler(state),
        new ProduceHandler(state),
        new FetchHandler(state),
        new ListOffsetsHandler(state),
        new FindCoordinatorHandler(state),
        new JoinGroupHandler(state),
        new SyncGroupHandler(state),
        new HeartbeatHandler(state),
        new LeaveGroupHandler(state),
        new OffsetCommitHandler(state),
        new OffsetFetchHandler(state),
        new ListGroupsHandler(state),
        new DescribeGroupsHandler(state),
        new CreateTopicsHandler(state),
        new DeleteTopicsHandler(state),
        new DescribeConfigsHandler(state),
        new InitProducerIdHandler(state),
        new AddPartitionsToTxnHandler(state),
        new AddOffsetsToTxnHandler(state),
        new EndTxnHandler(state),
        new TxnOffsetCommitHandler(state),
        new AlterConfigsHandler(state),
        new IncrementalAlterConfigsHandler(state),
        new CreatePartitionsHandler(state),
        new DeleteRecordsHandler(state),
        new DeleteGroupsHandler(state),
        new OffsetDeleteHandler(state),
        new DescribeClusterHandler(state),
        new DescribeLogDirsHandler(state),
        new DescribeProducersHandler(state),
        new ListTransactionsHandler(state),
        new DescribeTransactionsHandler(state),
    ];

    /// <summary>Stops serving, closes every connection and flushes the logs.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        await _listener.DisposeAsync();
        await Cleaner.DisposeAsync();
        await _transactions.DisposeAsync();
        await _groups.DisposeAsync();
        await _logs.DisposeAsync();
        State.TransactionalOffsetLocks.Dispose();
        if (_ownsDirectory)
        {
            try
            {
                Directory.Delete(State.Options.DataDirectory, recursive: true);
            }
            catch (IOException)
            {
                // A temp directory left behind is harmless.
            }
        }
    }
}
