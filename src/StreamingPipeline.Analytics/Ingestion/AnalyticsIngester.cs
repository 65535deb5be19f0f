using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StreamingPipeline.Analytics.Stores;
using StreamingPipeline.Processing;

namespace StreamingPipeline.Analytics.Ingestion;

/// <summary>
/// Ingests a topic of user events into an analytics store, exactly once: it reads read_committed from the offsets stored
/// in the database (partitions assigned by hand, no consumer group), collects records into batches by size or time, and
/// commits each batch's rows together with the next offsets in one database transaction. Records that are not events
/// go to the DLQ in a Kafka transaction committed just before the database transaction (at-least-once for DLQ records:
/// a crash between the two commits sends them again, with the same source topic/partition/offset headers). Consuming
/// and committing overlap: the next batch fills while the previous one commits.
/// </summary>
public sealed class AnalyticsIngester
{
    private static readonly TimeSpan LagInterval = TimeSpan.FromMilliseconds(500);

    private readonly IAnalyticsStore _store;
    private readonly IngestOptions _options;
    private readonly ProcessingOptions _clients;
    private readonly ILogger _logger;

    /// <summary>An ingester from <paramref name="options"/>' topic into <paramref name="store"/> (opened by <see cref="RunAsync"/>).</summary>
    public AnalyticsIngester(IAnalyticsStore store, IngestOptions options, ILoggerFactory? loggers = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        if (options.MaxBatchRecords < 1 || options.MaxBatchDelay <= TimeSpan.Zero)
        {
            throw new ArgumentException("A batch needs at least one record and a positive delay.", nameof(options));
        }
        if (options.PartitionDiscoveryInterval <= TimeSpan.Zero)
        {
            throw new ArgumentException("The partition discovery interval must be positive.", nameof(options));
        }
        _store = store;
        _options = options;
        _clients = new ProcessingOptions
        {
            BootstrapServers = options.BootstrapServers,
            GroupId = "pipeline-ingest",
            TransactionTimeout = options.TransactionTimeout,
            RequestTimeout = options.RequestTimeout,
            ClientConfig = options.ClientConfig,
        };
        _logger = (loggers ?? NullLoggerFactory.Instance).CreateLogger<AnalyticsIngester>();
    }

    /// <summary>Live counters.</summary>
    public IngestMetrics Metrics { get; } = new();

    /// <summary>The partitions being ingested, once <see cref="RunAsync"/> has assigned them (empty before).</summary>
    public IReadOnlyList<int> Partitions { get; private set; } = [];

    /// <summary>Completes once the store is open and the consumer is assigned at the stored offsets.</summary>
    public Task Started => _started.Task;

    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // The topic's partition count as last discovered (written by discovery, read by the consume loop).
    private int _topicPartitions;

    // Batches handed to the writer and not yet committed (the consume loop holds a due batch while this is not 0).
    private int _batchesInFlight;

    // Committed batches, cleared, for the consume loop to fill again: at most three exist (filling, queued, committing).
    private readonly ConcurrentQueue<IngestBatch> _freeBatches = new();

    /// <summary>
    /// Opens the store, resumes from its offsets and ingests until <paramref name="cancellationToken"/> is cancelled;
    /// then commits what was consumed and returns (with <see cref="IngestOptions.StopAtEnd"/>, also once caught up). Throws <see cref="ProcessingConfigurationException"/> when the topic
    /// or a partition does not exist, and the store's or Kafka's exception when a commit fails (nothing of that batch
    /// is stored; a restart resumes at the last committed batch).
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            await RunCoreAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _started.TrySetException(ex);
            throw;
        }
    }

    private async Task RunCoreAsync(CancellationToken cancellationToken)
    {
        // The DLQ producer's InitTransactions is a few round trips to the transaction coordinator: it runs while the
        // store opens and the consumer starts fetching, instead of before them.
        var dlqReady = Task.Run(CreateDlqProducer, CancellationToken.None);
        try
        {
            await RunWithDlqAsync(dlqReady, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // A failed start is reported by RunWithDlqAsync; the producer, if it came up, is closed either way.
            await ((Task)dlqReady).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (dlqReady.IsCompletedSuccessfully)
            {
                dlqReady.Result.Dispose();
            }
        }
    }

    private async Task RunWithDlqAsync(Task<IProducer<byte[], byte[]>> dlqReady, CancellationToken cancellationToken)
    {
        await _store.OpenAsync(cancellationToken).ConfigureAwait(false);
        using var admin = new AdminClientBuilder(ClientConfigs.Admin(_clients)).SetLogHandler((_, _) => { }).Build();
        var partitions = await Task.Run(() => ResolvePartitions(admin), cancellationToken).ConfigureAwait(false);
        var stored = await _store.ReadOffsetsAsync(_options.Topic, cancellationToken).ConfigureAwait(false);
        var consumerConfig = ClientConfigs.RestoreConsumer(_clients);
        // The topic is known; marshalling its name for every record is wasted work on the hot path.
        consumerConfig.ConsumeResultFields = "timestamp,headers";
        // Reading a backlog is bound by fetch round trips, not CPU: librdkafka keeps one fetch in flight per broker,
        // and 1 MiB per partition (its default) is ~5,000 events. 8 MiB takes a backlog in an eighth of the trips. When
        // its local queue is full librdkafka pauses fetching for fetch.queue.backoff.ms (1 s by default), longer than
        // the writer takes to drain it; a short pause keeps the queue from running dry. --config overrides both.
        SetUnlessGiven(consumerConfig, "max.partition.fetch.bytes", "8388608");
        SetUnlessGiven(consumerConfig, "fetch.queue.backoff.ms", "20");
        var values = new ParsingDeserializer();
        using var consumer = new ConsumerBuilder<byte[], ParsedValue>(consumerConfig)
            .SetValueDeserializer(values)
            .SetLogHandler((_, message) => _logger.LogDebug("consumer: {Facility} {Message}", message.Facility, message.Message))
            .Build();
        var assignment = partitions.Select(p => StartAt(p, stored)).ToList();
        // Incremental from the start, so partitions found later are added the same way without touching these.
        consumer.IncrementalAssign(assignment);
        var dlq = await dlqReady.WaitAsync(cancellationToken).ConfigureAwait(false);
        Partitions = partitions;
        Metrics.SetAssigned(partitions.Count);
        Volatile.Write(ref _topicPartitions, partitions.Count);
        _logger.LogInformation("ingesting {Topic} partitions {Partitions} into {Store} from {Offsets}", _options.Topic,
            string.Join(",", partitions), _store.Description, string.Join(",", assignment.Select(a => a.Offset.IsSpecial ? "beginning" : a.Offset.Value.ToString(CultureInfo.InvariantCulture))));
        _started.TrySetResult();

        // Two batches in flight at most: one committing, one filling.
        var batches = Channel.CreateBounded<IngestBatch>(new BoundedChannelOptions(1) { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var discovering = _options.Partitions is null
            ? DiscoverPartitionsAsync(admin, stop.Token)
            : Task.CompletedTask;
        var consuming = Task.Factory.StartNew(
            () => ConsumeLoop(consumer, values, assignment.Select(a => a.TopicPartition).ToList(), stored, batches.Writer, stop.Token),
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            // Batches consumed before a stop are still committed: the store never sees half a batch either way.
            await foreach (var batch in batches.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
            {
                try
                {
                    await CommitAsync(batch, dlq).ConfigureAwait(false);
                }
                finally
                {
                    Interlocked.Decrement(ref _batchesInFlight);
                }
                batch.Clear();
                _freeBatches.Enqueue(batch);
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await consuming.ConfigureAwait(false);
            await discovering.ConfigureAwait(false);
            consumer.Close();
        }
    }

    private void SetUnlessGiven(ConsumerConfig config, string key, string value)
    {
        if (!_options.ClientConfig.ContainsKey(key))
        {
            config.Set(key, value);
        }
    }

    private TopicPartitionOffset StartAt(int partition, IReadOnlyDictionary<int, long> stored) =>
        new(_options.Topic, partition, stored.TryGetValue(partition, out var next) ? new Offset(next) : Offset.Beginning);

    private List<int> ResolvePartitions(IAdminClient admin)
    {
        var count = TopicCheck.Partitions(admin, _options.Topic, _options.RequestTimeout);
        if (_options.Partitions is not { } requested)
        {
            return Enumerable.Range(0, count).ToList();
        }
        foreach (var partition in requested)
        {
            if (partition < 0 || partition >= count)
            {
                throw new ProcessingConfigurationException($"topic '{_options.Topic}' has partitions 0..{count - 1}; there is no partition {partition}");
            }
        }
        return requested.Distinct().Order().ToList();
    }

    /// <summary>
    /// Reads the topic's partition count every <see cref="IngestOptions.PartitionDiscoveryInterval"/> for the consume
    /// loop, which assigns the new partitions itself (the consumer is not shared between threads). Kafka partitions are
    /// only ever added, so a larger count is all there is to notice. A failed look-up (broker briefly away) is retried
    /// at the next tick: discovery is never a reason to stop ingesting.
    /// </summary>
    private async Task DiscoverPartitionsAsync(IAdminClient admin, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(_options.PartitionDiscoveryInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                try
                {
                    var count = await Task.Run(() => TopicCheck.Partitions(admin, _options.Topic, _options.RequestTimeout), stop).ConfigureAwait(false);
                    if (count > Volatile.Read(ref _topicPartitions))
                    {
                        Volatile.Write(ref _topicPartitions, count);
                    }
                }
                catch (ProcessingConfigurationException ex)
                {
                    _logger.LogDebug("partition discovery: {Message}", ex.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private IProducer<byte[], byte[]> CreateDlqProducer()
    {
        // Stable per topic and partition set: a restart fences the previous incarnation and aborts its open DLQ transaction.
        var partitions = _options.Partitions is { } p ? string.Join(".", p.Distinct().Order()) : "all";
        var producer = new ProducerBuilder<byte[], byte[]>(ClientConfigs.TransactionalProducer(_clients, $"pipeline-ingest-dlq-{_options.Topic}-{partitions}"))
            .SetLogHandler((_, message) => _logger.LogDebug("dlq producer: {Facility} {Message}", message.Facility, message.Message))
            .Build();
        try
        {
            producer.InitTransactions(_options.RequestTimeout);
            return producer;
        }
        catch
        {
            producer.Dispose();
            throw;
        }
    }

    private void ConsumeLoop(
        IConsumer<byte[], ParsedValue> consumer,
        ParsingDeserializer values,
        List<TopicPartition> partitions,
        IReadOnlyDictionary<int, long> stored,
        ChannelWriter<IngestBatch> batches,
        CancellationToken stop)
    {
        Exception? failure = null;
        try
        {
            var batch = NextBatch();
            values.Target = batch;
            var batchDeadline = long.MaxValue;
            var nextLag = Environment.TickCount64;
            var atEnd = new HashSet<int>();
            while (!stop.IsCancellationRequested)
            {
                if (Volatile.Read(ref _topicPartitions) > partitions.Count)
                {
                    AssignAdded(consumer, partitions, stored);
                }
                var now = Environment.TickCount64;
                // Past the deadline with the writer still busy the batch keeps filling; look again soon.
                var wait = batch.RecordCount == 0 ? 100 : now >= batchDeadline ? 2 : (int)Math.Min(batchDeadline - now, 100);
                var result = consumer.Consume(wait);
                if (result is { IsPartitionEOF: true })
                {
                    atEnd.Add(result.Partition.Value);
                    if (atEnd.Count == partitions.Count)
                    {
                        // At the end of every partition: caught up, whatever the sampled lag said last.
                        Metrics.SetLag(0);
                        if (_options.StopAtEnd)
                        {
                            break;
                        }
                    }
                }
                else if (result is not null)
                {
                    atEnd.Remove(result.Partition.Value);
                    if (batch.RecordCount == 0)
                    {
                        batchDeadline = Environment.TickCount64 + (long)_options.MaxBatchDelay.TotalMilliseconds;
                    }
                    Add(batch, result);
                    Metrics.AddConsumed(1);
                }
                now = Environment.TickCount64;
                // A due batch goes when the writer is free: handed earlier it would only wait in the channel, while here
                // it keeps growing, so a busy writer commits fewer, larger batches and each event still lands as early.
                if (batch.RecordCount > 0 &&
                    (batch.RecordCount >= _options.MaxBatchRecords || (now >= batchDeadline && Volatile.Read(ref _batchesInFlight) == 0)))
                {
                    Hand(batches, batch, stop);
                    batch = NextBatch();
                    values.Target = batch;
                }
                if (now >= nextLag)
                {
                    nextLag = now + (long)LagInterval.TotalMilliseconds;
                    var (lag, measured) = Lag(consumer, partitions);
                    Metrics.SetLag(lag, measured);
                }
            }
            if (batch.RecordCount > 0)
            {
                Hand(batches, batch, CancellationToken.None);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            failure = ex;
        }
        catch (OperationCanceledException)
        {
            // Stopped while waiting for the writer, which failed or is stopping; the batch in hand is not committed.
        }
        finally
        {
            batches.TryComplete(failure);
        }
    }

    /// <summary>Assigns the partitions discovery found beyond <paramref name="partitions"/>, from their stored offsets or the beginning.</summary>
    private void AssignAdded(IConsumer<byte[], ParsedValue> consumer, List<TopicPartition> partitions, IReadOnlyDictionary<int, long> stored)
    {
        var count = Volatile.Read(ref _topicPartitions);
        var added = Enumerable.Range(partitions.Count, count - partitions.Count).Select(p => StartAt(p, stored)).ToList();
        consumer.IncrementalAssign(added);
        partitions.AddRange(added.Select(a => a.TopicPartition));
        Partitions = partitions.Select(p => p.Partition.Value).ToList();
        Metrics.SetAssigned(partitions.Count);
        _logger.LogInformation("topic {Topic} grew to {Count} partitions; now ingesting {Added} too, from the beginning",
            _options.Topic, count, string.Join(",", added.Select(a => a.Partition.Value)));
    }

    private IngestBatch NextBatch() => _freeBatches.TryDequeue(out var batch) ? batch : new IngestBatch(_options.Topic);

    private void Hand(ChannelWriter<IngestBatch> batches, IngestBatch batch, CancellationToken stop)
    {
        Interlocked.Increment(ref _batchesInFlight);
        if (!batches.TryWrite(batch))
        {
            batches.WriteAsync(batch, stop).AsTask().GetAwaiter().GetResult();
        }
    }

    private void Add(IngestBatch batch, ConsumeResult<byte[], ParsedValue> result)
    {
        var value = result.Message.Value;
        if (value.IsEvent)
        {
            batch.AddStaged(result.Partition.Value, result.Offset.Value, result.Message.Timestamp.UnixTimestampMs);
            return;
        }
        var parsed = value.Result;
        batch.AddDeadLetter(
            new InputRecord
            {
                Topic = _options.Topic,
                Partition = result.Partition.Value,
                Offset = result.Offset.Value,
                Key = result.Message.Key,
                Value = value.Raw,
                Timestamp = result.Message.Timestamp.UnixTimestampMs,
                Headers = result.Message.Headers,
            },
            parsed.Code,
            parsed.ToString());
    }

    /// <summary>The lag over <paramref name="partitions"/>, and whether every partition's position and end were known.</summary>
    private static (long Lag, bool Measured) Lag(IConsumer<byte[], ParsedValue> consumer, List<TopicPartition> partitions)
    {
        long lag = 0;
        var measured = true;
        foreach (var partition in partitions)
        {
            var end = consumer.GetWatermarkOffsets(partition).High;
            var position = consumer.Position(partition);
            if (end.Value >= 0 && position.Value >= 0)
            {
                lag += Math.Max(0, end.Value - position.Value);
            }
            else
            {
                measured = false;
            }
        }
        return (lag, measured);
    }

    private async Task CommitAsync(IngestBatch batch, IProducer<byte[], byte[]> dlq)
    {
        var clock = Stopwatch.StartNew();
        if (batch.DeadLetters.Count > 0)
        {
            await Task.Run(() => SendDeadLetters(batch, dlq)).ConfigureAwait(false);
        }
        var outcome = await _store.CommitAsync(batch, CancellationToken.None).ConfigureAwait(false);
        Metrics.AddCommit(batch, outcome, clock.Elapsed.TotalMilliseconds, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        if (outcome.Duplicates + batch.DuplicatesInBatch > 0)
        {
            _logger.LogInformation("ignored {Duplicates} events whose eventId was already stored", outcome.Duplicates + batch.DuplicatesInBatch);
        }
    }

    private void SendDeadLetters(IngestBatch batch, IProducer<byte[], byte[]> dlq)
    {
        var destination = new TopicPartition(_options.DlqTopic, Partition.Any);
        dlq.BeginTransaction();
        try
        {
            foreach (var (record, code, detail) in batch.DeadLetters)
            {
                dlq.Produce(destination, DeadLetterMessages.Create(record, code, detail));
            }
            dlq.CommitTransaction(_options.RequestTimeout);
        }
        catch (KafkaException)
        {
            try
            {
                dlq.AbortTransaction(_options.RequestTimeout);
            }
            catch (KafkaException)
            {
                // The producer may be fenced or broken; the original failure is what the caller needs.
            }
            throw;
        }
        _logger.LogDebug("sent {Count} records to {Dlq}", batch.DeadLetters.Count, _options.DlqTopic);
    }
}
