using System.Diagnostics;
using Confluent.Kafka;

namespace StreamingPipeline.TransactionalCopier;

/// <summary>
/// Copies one input partition to the same partition of the output topic exactly once: each transaction holds the
/// records consumed during one commit interval and the consumed offsets (SendOffsetsToTransaction), and a restart
/// resumes from the committed offsets; at most the given number of records per transaction, so a test can keep the
/// copy running long enough to kill it mid-stream. After an abortable error it aborts and seeks back to the committed offset,
/// since aborting does not rewind the consumer. Prints <c>committed N</c> after each commit; exits 3 on any other
/// client error, and exits 4 if a transactional call hangs past its timeout (a supervisor restarts it either way).
/// </summary>
internal static class TransactionalCopyLoop
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    public static int Run(Dictionary<string, string> options)
    {
        var bootstrap = options.Required("bootstrap");
        var input = new TopicPartition(options.Required("input"), options.Int("partition", 0));
        var output = new TopicPartition(options.Required("output"), input.Partition);
        var interval = TimeSpan.FromMilliseconds(options.Int("commit-interval-ms", 100));
        var maxRecords = options.Int("max-records-per-transaction", 1000);

        using var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig
        {
            BootstrapServers = bootstrap,
            TransactionalId = options.Required("transactional-id"),
            EnableIdempotence = true,
            LingerMs = 5,
            TransactionTimeoutMs = 10_000,
            MessageTimeoutMs = 10_000,
            ReconnectBackoffMs = 50,
            ReconnectBackoffMaxMs = 500,
            // One broker: when it is down, librdkafka's default re-bootstrap decommissions its handle, and a
            // SendOffsetsToTransaction waiting for that cached group coordinator then hangs past its timeout
            // (librdkafka issues 5456 and 5511).
            MetadataRecoveryStrategy = MetadataRecoveryStrategy.None,
            Debug = Environment.GetEnvironmentVariable("COPIER_DEBUG"),
        }).SetLogHandler(LogWarnings).Build();
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = options.Required("group"),
            EnableAutoCommit = false,
            IsolationLevel = IsolationLevel.ReadCommitted,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            ReconnectBackoffMs = 50,
            ReconnectBackoffMaxMs = 500,
            MetadataRecoveryStrategy = MetadataRecoveryStrategy.None,
            FetchWaitMaxMs = 50,
        }).SetLogHandler(LogWarnings).Build();
        try
        {
            producer.InitTransactions(RequestTimeout);
            consumer.Assign(CommittedPosition(consumer, input));
            Console.WriteLine("ready");
            while (true)
            {
                CopyOneTransaction(producer, consumer, input, output, interval, maxRecords);
            }
        }
        catch (KafkaException ex)
        {
            // Fenced, fatal, or out of retries: exit and let the supervisor start a fresh incarnation, which resumes
            // from the committed offsets like any restart.
            Console.Error.WriteLine($"stopping: {ex.Error.Code} {ex.Error.Reason} (fatal: {ex.Error.IsFatal})");
            return 3;
        }
    }

    private static void CopyOneTransaction(
        IProducer<byte[], byte[]> producer, IConsumer<byte[], byte[]> consumer, TopicPartition input, TopicPartition output, TimeSpan interval, int maxRecords)
    {
        var first = consumer.Consume(interval);
        if (first is null)
        {
            return;
        }
        producer.BeginTransaction();
        try
        {
            var next = CopyUntilDue(producer, consumer, first, output, interval, maxRecords);
            using (Watchdog.Arm("send_offsets_to_transaction", RequestTimeout))
            {
                producer.SendOffsetsToTransaction([new TopicPartitionOffset(input, next)], consumer.ConsumerGroupMetadata, RequestTimeout);
            }
            using (Watchdog.Arm("commit_transaction", RequestTimeout * 5))
            {
                CommitWithRetries(producer);
            }
            Console.WriteLine($"committed {next}");
        }
        catch (KafkaTxnRequiresAbortException ex)
        {
            Console.Error.WriteLine($"aborting: {ex.Error.Code} {ex.Error.Reason}");
            producer.AbortTransaction(RequestTimeout);
            consumer.Seek(CommittedPosition(consumer, input));
        }
    }

    private static long CopyUntilDue(
        IProducer<byte[], byte[]> producer, IConsumer<byte[], byte[]> consumer, ConsumeResult<byte[], byte[]> first, TopicPartition output, TimeSpan interval, int maxRecords)
    {
        var clock = Stopwatch.StartNew();
        var record = first;
        var count = 0;
        long next;
        while (true)
        {
            producer.Produce(output, new Message<byte[], byte[]> { Key = record.Message.Key, Value = record.Message.Value, Timestamp = record.Message.Timestamp });
            next = record.Offset.Value + 1;
            count++;
            var remaining = interval - clock.Elapsed;
            if (remaining <= TimeSpan.Zero)
            {
                return next;
            }
            if (count >= maxRecords)
            {
                // Throttled: the transaction still lasts the whole interval, as a slower job's would.
                Thread.Sleep(remaining);
                return next;
            }
            if (consumer.Consume(remaining) is not { } more)
            {
                return next;
            }
            record = more;
        }
    }

    private static void CommitWithRetries(IProducer<byte[], byte[]> producer)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                producer.CommitTransaction(RequestTimeout);
                return;
            }
            catch (KafkaRetriableException ex) when (attempt < 5)
            {
                // A timed-out commit may be called again (the broker restarting, for instance).
                Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} commit attempt {attempt} failed, retrying: {ex.Error.Code} {ex.Error.Reason}");
            }
        }
    }

    /// <summary>librdkafka's warnings and errors go to stderr, which the test shows when it fails.</summary>
    private static void LogWarnings<TClient>(TClient client, LogMessage message)
    {
        if (message.Level <= SyslogLevel.Warning || Environment.GetEnvironmentVariable("COPIER_DEBUG") is not null)
        {
            Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {message.Level} {message.Facility}: {message.Message}");
        }
    }

    private static TopicPartitionOffset CommittedPosition(IConsumer<byte[], byte[]> consumer, TopicPartition input)
    {
        var committed = consumer.Committed([input], RequestTimeout).Single().Offset;
        return new TopicPartitionOffset(input, committed == Offset.Unset ? Offset.Beginning : committed);
    }
}
