using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StreamingPipeline.Analytics.Stores;
using StreamingPipeline.Events;
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
        await _store.OpenAsync(cancellationToken).ConfigureAwait(false);
        var partitions = await Task.Run(ResolvePartitions, cancellationToken).ConfigureAwait(false);
        var stored = await _store.ReadOffsetsAsync(_options.Topic, cancellationToken).ConfigureAwait(false);
        using var dlq = await Task.Run(CreateDlqProducer, cancellationToken).ConfigureAwait(false);
        using var consumer = new ConsumerBuilder<byte[], byte[]>(ClientConfigs.RestoreConsumer(_clients))
            .SetLogHandler((_, message) => _logger.LogDebug("consumer: {Facility} {Message}", message.Facility, message.Message))
            .Build();
        var assignment = partitions
            .Select(p => new TopicPartitionOffset(_options.Topic, p, stored.TryGetValue(p, out var next) ? new Offset(next) : Offset.Beginning))
            .ToList();
        consumer.Assign(assignment);
        Partitions = partitions;
        Metrics.SetAssigned(partitions.Count);
        _logger.LogInformation("ingesting {Topic} partitions {Partitions} into {Store} from {Offsets}", _options.Topic,
            string.Join(",", partitions), _store.Description, string.Join(",", assignment.Select(a => a.Offset.IsSpecial ? "beginning" : a.Offset.Value.ToString(CultureInfo.InvariantCulture))));
        _started.TrySetResult();

        // Two batches in flight at most: one committing, one filling.
        var batches = Channel.CreateBounded<IngestBatch>(new BoundedChannelOptions(1) { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var consuming = Task.Factory.StartNew(
            () => ConsumeLoop(consumer, assignment.Select(a => a.TopicPartition).ToList(), batches.Writer, stop.Token),
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            // Batches consumed before a stop are still committed: the store never sees half a batch either way.
            await foreach (var batch in batches.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
            {
                await CommitAsync(batch, dlq).ConfigureAwait(false);
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await consuming.ConfigureAwait(false);
            consumer.Close();
        }
    }

    private List<int> ResolvePartitions()
    {
        using var admin = new AdminClientBuilder(ClientConfigs.Admin(_clients)).SetLogHandler((_, _) => { }).Build();
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

    private void ConsumeLoop(IConsumer<byte[], byte[]> consumer, List<TopicPartition> partitions, ChannelWriter<IngestBatch> batches, CancellationToken stop)
    {
        Exception? failure = null;
        try
        {
            var batch = new IngestBatch(_options.Topic);
            var batchDeadline = long.MaxValue;
            var nextLag = Environment.TickCount64;
            var atEnd = new HashSet<int>();
            while (!stop.IsCancellationRequested)
            {
                var now = Environment.TickCount64;
                var wait = batch.RecordCount == 0 ? 100 : (int)Math.Clamp(batchDeadline - now, 0, 100);
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
                if (batch.RecordCount > 0 && (batch.RecordCount >= _options.MaxBatchRecords || now >= batchDeadline))
                {
                    Hand(batches, batch, stop);
                    batch = new IngestBatch(_options.Topic);
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

    private static void Hand(ChannelWriter<IngestBatch> batches, IngestBatch batch, CancellationToken stop)
    {
        if (!batches.TryWrite(batch))
        {
            batches.WriteAsync(batch, stop).AsTask().GetAwaiter().GetResult();
        }
    }

    private static void Add(IngestBatch batch, ConsumeResult<byte[], byte[]> result)
    {
        var value = result.Message.Value;
        var parsed = UserEventParser.Parse(value ?? []);
        if (parsed.IsValid)
        {
            batch.AddEvent(new IngestedEvent(parsed.Event, result.Partition.Value, result.Offset.Value) { RecordTimestamp = result.Message.Timestamp.UnixTimestampMs });
            return;
        }
        batch.AddDeadLetter(
            new InputRecord
            {
                Topic = result.Topic,
                Partition = result.Partition.Value,
                Offset = result.Offset.Value,
                Key = result.Message.Key,
                Value = value,
                Timestamp = result.Message.Timestamp.UnixTimestampMs,
                Headers = result.Message.Headers,
            },
            parsed.Code,
            parsed.ToString());
    }

    /// <summary>The lag over <paramref name="partitions"/>, and whether every partition's position and end were known.</summary>
    private static (long Lag, bool Measured) Lag(IConsumer<byte[], byte[]> consumer, List<TopicPartition> partitions)
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
