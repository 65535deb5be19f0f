using System.Diagnostics;
using System.Threading.Channels;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using StreamingPipeline.Events.Generation;

namespace StreamingPipeline.Events.Producing;

/// <summary>
/// Sends an <see cref="EventStreamGenerator"/> stream to Kafka with an idempotent producer, as a bounded two-stage
/// pipeline: one loop generates (paced by the rate limiter) into a few pooled batches, the other sends them.
/// Back-pressure: at most <see cref="ProducerSettings.MaxInFlight"/> records are unacknowledged; the sending loop
/// waits for acknowledgements beyond that and the generating loop for free batches, so a slow or absent broker never
/// makes the process buffer without bound. While the broker is unreachable the client reconnects and retries; a
/// record still unacknowledged after <see cref="ProducerSettings.DeliveryTimeout"/> fails the run with a clear error.
/// One run per instance.
/// </summary>
public sealed partial class EventProducer
{
    private const int BatchPool = 4;
    private const int MaxCachedLength = 4096;

    private readonly GeneratorOptions _generatorOptions;
    private readonly ProducerSettings _settings;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Action<DeliveryReport<byte[], byte[]>> _onDelivery;
    private readonly Message<byte[], byte[]> _message = new() { Headers = [] };
    // librdkafka copies key and value when a record is produced, so one array per value length can be reused.
    private readonly byte[]?[] _valueArrays = new byte[]?[MaxCachedLength + 1];
    private readonly Stopwatch _stopwatch = new();
    // Written by the sending loop only; the delivery counters by the client's poll thread only. Each on its own
    // cache lines, so the two threads do not slow each other down on every record.
    private PaddedCounter _sent;
    private PaddedCounter _acknowledged;
    private PaddedCounter _failed;
    private long _settledSnapshot;
    private bool _stopGenerating;
    private long _brokerErrors;
    private string? _lastBrokerError;
    private string? _firstDeliveryError;
    private string? _fatalError;

    /// <summary>A producer for <paramref name="generatorOptions"/>'s stream, sent as <paramref name="settings"/> say.</summary>
    public EventProducer(GeneratorOptions generatorOptions, ProducerSettings settings, TimeProvider time, ILogger logger)
    {
        _generatorOptions = generatorOptions;
        _settings = settings;
        _time = time;
        _logger = logger;
        _onDelivery = OnDelivery;
    }

    /// <summary>The counters right now; safe to call from any thread.</summary>
    public ProducerProgress Progress => new(
        Volatile.Read(ref _sent.Value),
        Volatile.Read(ref _acknowledged.Value),
        Volatile.Read(ref _failed.Value),
        Interlocked.Read(ref _brokerErrors),
        Volatile.Read(ref _lastBrokerError),
        _stopwatch.Elapsed);

    /// <summary>
    /// Generates and sends until the record count or duration is reached, <paramref name="cancellationToken"/>
    /// fires, or delivery fails; then waits for outstanding acknowledgements and writes the summary and truth file.
    /// </summary>
    public async Task<ProduceOutcome> RunAsync(CancellationToken cancellationToken)
    {
        var config = EventProducerConfig.Create(_settings.BootstrapServers, _settings.MaxInFlight, _settings.DeliveryTimeout, _settings.Config);
        using var producer = new ProducerBuilder<byte[], byte[]>(config)
            .SetErrorHandler(OnClientError)
            .SetLogHandler((_, message) => LogClientMessage(_logger, message.Level.ToString(), message.Message))
            .Build();

        (int Count, string? Error) partitions;
        try
        {
            partitions = await PartitionCountAsync(producer, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            partitions = (0, "stopped before the topic's metadata was read");
        }
        if (partitions.Error is { } metadataError)
        {
            var nothingSent = new GeneratorSummary { Topic = _settings.Topic, Seed = _generatorOptions.Seed, Error = metadataError };
            await WriteSummaryAsync(nothingSent);
            return new ProduceOutcome(nothingSent, metadataError);
        }

        var generator = new EventStreamGenerator(_generatorOptions, partitions.Count);
        using var ledger = new GenerationLedger(_generatorOptions, partitions.Count, _settings.TruthFilePath);
        // A second of unused rate is kept, so a stalled loop (GC, a busy machine) catches up and the long-run
        // rate holds; a longer stall (broker gone) is not followed by a flood.
        var limiter = new RateLimiter(_settings.Rate, _time, TimeSpan.FromSeconds(1));
        var deadline = _settings.Duration is { } duration ? _time.GetTimestamp() + (long)(duration.TotalSeconds * _time.TimestampFrequency) : long.MaxValue;
        // Generating and sending run on two loops joined by a few pooled batches: the client's send path is the
        // bottleneck, so generation overlaps it instead of adding to it, and at most BatchPool × 256 records wait.
        var emptyBatches = Channel.CreateBounded<RecordBatch>(new BoundedChannelOptions(BatchPool) { SingleReader = true, SingleWriter = true });
        var fullBatches = Channel.CreateBounded<RecordBatch>(new BoundedChannelOptions(BatchPool) { SingleReader = true, SingleWriter = true });
        for (var i = 0; i < BatchPool; i++)
        {
            emptyBatches.Writer.TryWrite(new RecordBatch());
        }
        _stopwatch.Start();
        var generating = Task.Run(() => GenerateAsync(generator, ledger, limiter, deadline, emptyBatches.Reader, fullBatches.Writer, cancellationToken), CancellationToken.None);
        await SendAsync(producer, fullBatches.Reader, emptyBatches.Writer, cancellationToken);
        await generating;
        await DrainAsync(producer);
        _stopwatch.Stop();
        return await FinishAsync(ledger);
    }

    private async Task GenerateAsync(
        EventStreamGenerator generator,
        GenerationLedger ledger,
        RateLimiter limiter,
        long deadline,
        ChannelReader<RecordBatch> empty,
        ChannelWriter<RecordBatch> full,
        CancellationToken cancellationToken)
    {
        try
        {
            var exhausted = false;
            while (!exhausted && !cancellationToken.IsCancellationRequested && !Volatile.Read(ref _stopGenerating)
                   && _time.GetTimestamp() < deadline)
            {
                var tokens = await limiter.AcquireAsync(RecordBatch.Capacity, cancellationToken);
                var batch = await empty.ReadAsync(cancellationToken);
                batch.Clear();
                for (var i = 0; i < tokens; i++)
                {
                    if (!generator.TryNext(out var record))
                    {
                        exhausted = true;
                        break;
                    }
                    // Counted when generated: a record that is then not sent or not acknowledged is reported as
                    // not acknowledged, never forgotten.
                    ledger.Record(record);
                    batch.Add(record.Key, record.Value, record.Timestamp);
                }
                // Never waits: there are only as many batches as the channel holds.
                full.TryWrite(batch);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping on request is a normal end: what was generated is still sent, flushed and summarised.
        }
        finally
        {
            if (generator.PendingDuplicates > 0)
            {
                ledger.RecordAbandonedDuplicates(generator.AbandonPendingDuplicates());
            }
            full.Complete();
        }
    }

    private async Task SendAsync(
        IProducer<byte[], byte[]> producer,
        ChannelReader<RecordBatch> full,
        ChannelWriter<RecordBatch> empty,
        CancellationToken cancellationToken)
    {
        var sending = true;
        // Read to the end even after a failure, handing batches back, so the generating loop never waits forever.
        await foreach (var batch in full.ReadAllAsync(CancellationToken.None))
        {
            // A record that failed has been unacknowledged for the whole delivery timeout: the broker is gone for
            // longer than the run tolerates, so stop instead of generating records that can only fail too.
            if (Volatile.Read(ref _firstDeliveryError) is not null || Volatile.Read(ref _fatalError) is not null)
            {
                sending = false;
            }
            for (var i = 0; sending && i < batch.Count; i++)
            {
                if (!HasRoom() && !await WaitForRoomAsync(cancellationToken))
                {
                    sending = false;
                    break;
                }
                var status = Produce(producer, batch.Key(i), batch.Value(i), batch.Timestamp(i));
                while (status == SendStatus.QueueFull)
                {
                    // Only reachable if --config shrank librdkafka's queue below the in-flight bound.
                    await Task.Delay(TimeSpan.FromMilliseconds(5), _time, CancellationToken.None);
                    status = ProduceCurrent(producer);
                }
                sending = status == SendStatus.Sent;
            }
            if (!sending)
            {
                Volatile.Write(ref _stopGenerating, true);
            }
            empty.TryWrite(batch);
        }
    }

    private async Task<ProduceOutcome> FinishAsync(GenerationLedger ledger)
    {
        var summary = ledger.BuildSummary(_settings.Topic);
        var progress = Progress;
        summary.Acknowledged = progress.Acknowledged;
        summary.NotAcknowledged = summary.TotalRecords - progress.Acknowledged;
        summary.ElapsedSeconds = progress.Elapsed.TotalSeconds;
        summary.AchievedRate = progress.Elapsed.TotalSeconds > 0 ? summary.TotalRecords / progress.Elapsed.TotalSeconds : 0;
        string? error = null;
        if (Volatile.Read(ref _fatalError) is not null)
        {
            error = $"the producer failed: {_fatalError}";
        }
        else if (summary.NotAcknowledged > 0)
        {
            var reason = Volatile.Read(ref _firstDeliveryError) ?? Volatile.Read(ref _lastBrokerError) ?? "no acknowledgement";
            error = $"{summary.NotAcknowledged} of {summary.TotalRecords} records were not acknowledged within {_settings.DeliveryTimeout.TotalSeconds:0.#}s: {reason}";
        }
        summary.Error = error;
        ledger.Dispose();
        await WriteSummaryAsync(summary);
        return new ProduceOutcome(summary, error);
    }

    private async Task WriteSummaryAsync(GeneratorSummary summary)
    {
        if (_settings.SummaryPath is { } path)
        {
            // Written even after a cancellation: the summary is most needed when a run was cut short.
            await summary.WriteAsync(path, CancellationToken.None);
        }
    }

    // Sent minus settled, read without locks: the delivery thread only increments its counters.
    private long InFlight => Volatile.Read(ref _sent.Value) - Settled;

    private long Settled => Volatile.Read(ref _acknowledged.Value) + Volatile.Read(ref _failed.Value);

    private bool HasRoom()
    {
        // The settled count is re-read only when an old snapshot says the bound may be reached.
        if (_sent.Value - _settledSnapshot < _settings.MaxInFlight)
        {
            return true;
        }
        _settledSnapshot = Settled;
        return _sent.Value - _settledSnapshot < _settings.MaxInFlight;
    }

    private async ValueTask<bool> WaitForRoomAsync(CancellationToken cancellationToken)
    {
        // Only reached when the broker is slow or gone, so polling every millisecond costs nothing that matters;
        // a failed delivery, a fatal error or a stop request ends the wait.
        while (InFlight >= _settings.MaxInFlight)
        {
            if (Volatile.Read(ref _fatalError) is not null || Volatile.Read(ref _firstDeliveryError) is not null
                || cancellationToken.IsCancellationRequested)
            {
                return false;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(1), _time, CancellationToken.None);
        }
        return true;
    }

    private SendStatus Produce(IProducer<byte[], byte[]> producer, byte[] key, ReadOnlySpan<byte> value, long timestamp)
    {
        _message.Key = key;
        _message.Value = ValueArray(value);
        _message.Timestamp = new Timestamp(timestamp, TimestampType.CreateTime);
        return ProduceCurrent(producer);
    }

    private SendStatus ProduceCurrent(IProducer<byte[], byte[]> producer)
    {
        try
        {
            producer.Produce(_settings.Topic, _message, _onDelivery);
            Volatile.Write(ref _sent.Value, _sent.Value + 1);
            return SendStatus.Sent;
        }
        catch (ProduceException<byte[], byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
        {
            return SendStatus.QueueFull;
        }
        catch (ProduceException<byte[], byte[]> e)
        {
            Interlocked.CompareExchange(ref _fatalError, e.Error.ToString(), null);
            return SendStatus.Failed;
        }
    }

    private byte[] ValueArray(ReadOnlySpan<byte> value)
    {
        if (value.Length > MaxCachedLength)
        {
            return value.ToArray();
        }
        var array = _valueArrays[value.Length] ??= new byte[value.Length];
        value.CopyTo(array);
        return array;
    }

    private async Task DrainAsync(IProducer<byte[], byte[]> producer)
    {
        // Delivery reports arrive on the client's poll thread; wait for them without blocking a thread here.
        var giveUpAt = _time.GetTimestamp() + (long)((_settings.DeliveryTimeout.TotalSeconds + 5) * _time.TimestampFrequency);
        while (InFlight > 0 && Volatile.Read(ref _fatalError) is null && _time.GetTimestamp() < giveUpAt)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(1), _time, CancellationToken.None);
        }
        producer.Flush(TimeSpan.Zero);
    }

    private async Task<(int Count, string? Error)> PartitionCountAsync(IProducer<byte[], byte[]> producer, CancellationToken cancellationToken)
    {
        using var admin = new DependentAdminClientBuilder(producer.Handle).Build();
        var giveUpAt = _time.GetTimestamp() + (long)(_settings.DeliveryTimeout.TotalSeconds * _time.TimestampFrequency);
        string lastError;
        do
        {
            try
            {
                var metadata = await Task.Run(() => admin.GetMetadata(_settings.Topic, TimeSpan.FromSeconds(5)), cancellationToken);
                var topic = metadata.Topics.FirstOrDefault(t => t.Topic == _settings.Topic);
                if (topic is not null && topic.Error.Code == ErrorCode.NoError && topic.Partitions.Count > 0)
                {
                    return (topic.Partitions.Count, null);
                }
                lastError = topic?.Error.Code is ErrorCode.UnknownTopicOrPart or null
                    ? $"topic '{_settings.Topic}' does not exist on {_settings.BootstrapServers}"
                    : $"topic '{_settings.Topic}': {topic.Error}";
                if (topic?.Error.Code is ErrorCode.UnknownTopicOrPart or null)
                {
                    return (0, lastError);
                }
            }
            catch (KafkaException e)
            {
                lastError = $"cannot reach {_settings.BootstrapServers}: {e.Error.Reason}";
                LogMetadataRetry(_logger, lastError);
            }
            await Task.Delay(TimeSpan.FromMilliseconds(500), _time, cancellationToken);
        }
        while (_time.GetTimestamp() < giveUpAt);
        return (0, lastError);
    }

    private void OnDelivery(DeliveryReport<byte[], byte[]> report)
    {
        if (report.Error.IsError)
        {
            Interlocked.CompareExchange(ref _firstDeliveryError, report.Error.ToString(), null);
            Interlocked.Increment(ref _failed.Value);
        }
        else
        {
            Interlocked.Increment(ref _acknowledged.Value);
        }
    }

    private void OnClientError(IProducer<byte[], byte[]> producer, Error error)
    {
        Interlocked.Increment(ref _brokerErrors);
        Volatile.Write(ref _lastBrokerError, error.Reason);
        if (error.IsFatal)
        {
            Interlocked.CompareExchange(ref _fatalError, error.ToString(), null);
        }
        LogClientError(_logger, error.Code.ToString(), error.Reason);
    }

    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Explicit, Size = 128)]
    private struct PaddedCounter
    {
        [System.Runtime.InteropServices.FieldOffset(64)]
        public long Value;
    }

    private enum SendStatus
    {
        Sent,
        QueueFull,
        Failed,
        Exhausted,
    }

    // Debug: while a broker is down the client reports every reconnect attempt; the progress line and the final error
    // already say what matters, so the chatter is only for -v debug.
    [LoggerMessage(Level = LogLevel.Debug, Message = "Kafka client: {Code}: {Reason} (retrying)")]
    private static partial void LogClientError(ILogger logger, string code, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "librdkafka {Level}: {Message}")]
    private static partial void LogClientMessage(ILogger logger, string level, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading topic metadata failed, retrying: {Reason}")]
    private static partial void LogMetadataRetry(ILogger logger, string reason);
}
