using Confluent.Kafka;

namespace StreamingPipeline.Processing;

/// <summary>
/// Drives one task: feeds it its records in order, sends what it emits into the open transaction, and tracks what the
/// transaction holds for it (the next input offset, how many outputs are sent and acknowledged, the last output offset).
/// </summary>
internal sealed class PartitionTaskRunner : ITaskOutput
{
    private readonly List<(string? DeadLetterCode, Message<byte[], byte[]> Message)> _pending = [];
    private readonly TopicPartition _output;
    private readonly TopicPartition _dlq;
    private readonly ProcessingMetrics _metrics;
    private readonly PartitionMetrics _partitionMetrics;
    private readonly Action<DeliveryReport<byte[], byte[]>> _onDelivered;
    private IProducer<byte[], byte[]>? _producer;
    private long _sent;
    private long _delivered;
    private long _lastOutputOffset = -1;

    public PartitionTaskRunner(IPartitionTask task, TaskContext context, ProcessingMetrics metrics)
    {
        Task = task;
        Context = context;
        Input = new TopicPartition(context.InputTopic, context.Partition);
        _output = new TopicPartition(context.OutputTopic, context.Partition);
        // The DLQ record goes where the producer's partitioner puts its key, so a DLQ of any partition count works.
        _dlq = new TopicPartition(context.DlqTopic, Partition.Any);
        _metrics = metrics;
        _partitionMetrics = metrics.Partition(context.InputTopic, context.Partition);
        _onDelivered = OnDelivered;
    }

    public IPartitionTask Task { get; }

    public TaskContext Context { get; }

    public TopicPartition Input { get; }

    /// <summary>This partition's counters, lag and state.</summary>
    public PartitionMetrics Metrics => _partitionMetrics;

    /// <summary>The input offset to commit with the open transaction: after the last record processed in it (null if none).</summary>
    public long? NextOffset { get; private set; }

    /// <summary>The offset of the last record written to the output partition in the transaction, once acknowledged.</summary>
    public long? LastOutputOffset
    {
        get
        {
            var offset = Interlocked.Read(ref _lastOutputOffset);
            return offset < 0 ? null : offset;
        }
    }

    /// <summary>Starts tracking a new transaction of <paramref name="producer"/>.</summary>
    public void BeginTransaction(IProducer<byte[], byte[]> producer)
    {
        _producer = producer;
        NextOffset = null;
        _sent = 0;
        Interlocked.Exchange(ref _delivered, 0);
        Interlocked.Exchange(ref _lastOutputOffset, -1);
    }

    /// <summary>Processes <paramref name="records"/> (this task's partition, in order) into the open transaction.</summary>
    public void Process(List<ConsumeResult<byte[], byte[]>> records)
    {
        long emitted = 0;
        long deadLettered = 0;
        foreach (var result in records)
        {
            var record = new InputRecord
            {
                Topic = result.Topic,
                Partition = result.Partition.Value,
                Offset = result.Offset.Value,
                Key = result.Message.Key,
                Value = result.Message.Value,
                Timestamp = result.Message.Timestamp.UnixTimestampMs,
                Headers = result.Message.Headers,
            };
            _pending.Clear();
            try
            {
                Task.Process(record, this);
            }
            catch (Exception ex) when (ex is not KafkaException)
            {
                // Whatever the failed call emitted is dropped, so the record's outcome is exactly one dead letter.
                _pending.Clear();
                _pending.Add((DeadLetterHeaders.ExceptionCode, DeadLetterMessages.Create(record, DeadLetterHeaders.ExceptionCode, $"{ex.GetType().FullName}: {ex.Message}")));
            }
            foreach (var (deadLetterCode, message) in _pending)
            {
                if (deadLetterCode is not null)
                {
                    Send(_dlq, message);
                    deadLettered++;
                    _metrics.AddDeadLetter(deadLetterCode);
                }
                else
                {
                    Send(_output, message);
                    emitted++;
                }
            }
            NextOffset = record.Offset + 1;
        }
        _pending.Clear();
        _metrics.AddConsumed(records.Count);
        _metrics.AddEmitted(emitted);
        _metrics.AddDeadLettered(deadLettered);
        _partitionMetrics.Add(records.Count, emitted, deadLettered);
    }

    /// <inheritdoc />
    public void Emit(byte[]? key, byte[]? value, long timestampMs, Headers? headers = null)
    {
        _pending.Add((null, new Message<byte[], byte[]> { Key = key!, Value = value!, Timestamp = new Timestamp(timestampMs, TimestampType.CreateTime), Headers = headers }));
    }

    /// <inheritdoc />
    public void DeadLetter(InputRecord record, string code, string detail) => _pending.Add((code, DeadLetterMessages.Create(record, code, detail)));

    /// <summary>Waits until every record sent in this transaction is acknowledged (they are once the commit returned).</summary>
    public bool WaitForDeliveries(TimeSpan timeout)
    {
        var spin = new SpinWait();
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (Interlocked.Read(ref _delivered) < _sent)
        {
            if (Environment.TickCount64 > deadline)
            {
                return false;
            }
            spin.SpinOnce();
        }
        return true;
    }

    private void Send(TopicPartition destination, Message<byte[], byte[]> message)
    {
        var producer = _producer ?? throw new InvalidOperationException("No transaction is open.");
        while (true)
        {
            try
            {
                producer.Produce(destination, message, _onDelivered);
                _sent++;
                return;
            }
            catch (ProduceException<byte[], byte[]> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
            {
                // The producer's queue is full: wait for the broker to take some; the commit bounds how long.
                Thread.Sleep(1);
            }
        }
    }

    private void OnDelivered(DeliveryReport<byte[], byte[]> report)
    {
        // A failed delivery also fails the transaction's commit, so only successes need tracking here.
        if (!report.Error.IsError && report.Partition.Value == _output.Partition.Value && report.Topic == _output.Topic)
        {
            var offset = report.Offset.Value;
            var current = Interlocked.Read(ref _lastOutputOffset);
            while (offset > current)
            {
                var seen = Interlocked.CompareExchange(ref _lastOutputOffset, offset, current);
                if (seen == current)
                {
                    break;
                }
                current = seen;
            }
        }
        Interlocked.Increment(ref _delivered);
    }
}
