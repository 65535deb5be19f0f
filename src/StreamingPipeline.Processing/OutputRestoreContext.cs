using System.Runtime.CompilerServices;
using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace StreamingPipeline.Processing;

/// <summary>
/// Reads one output partition with read_committed for a task's restore. Offsets are listed through the instance's
/// shared admin client (<paramref name="admin"/>, created on first use); the consumer is this context's own, created
/// only when there is something to read, so a task that restores nothing (forward, or state already current) opens none.
/// </summary>
internal sealed class OutputRestoreContext(ProcessingOptions options, int partition, Func<IAdminClient> admin) : IRestoreContext, IDisposable
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);
    private readonly TopicPartition _partition = new(options.OutputTopic, partition);
    private IConsumer<byte[], byte[]>? _consumer;

    /// <summary>How long to wait for another instance's open transaction on the partition to end (commit or time out).</summary>
    private TimeSpan StableWait => options.TransactionTimeout * 3 + TimeSpan.FromSeconds(30);

    public string Topic => options.OutputTopic;

    public int Partition => partition;

    public async ValueTask<long> GetEndOffsetAsync(CancellationToken cancellationToken)
    {
        // With a transaction still open (an instance that died or lost the partition), the stable end lags the high
        // watermark and committed records may follow the open ones: wait until the broker resolves it.
        var deadline = DateTime.UtcNow + StableWait;
        while (true)
        {
            var stable = await ListOffsetAsync(OffsetSpec.Latest(), IsolationLevel.ReadCommitted, cancellationToken);
            var high = await ListOffsetAsync(OffsetSpec.Latest(), IsolationLevel.ReadUncommitted, cancellationToken);
            if (stable >= high)
            {
                return stable;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{_partition} still has an open transaction after {StableWait} (stable end {stable}, high watermark {high}).");
            }
            await Task.Delay(Poll, cancellationToken);
        }
    }

    public async ValueTask<RestoreRecord?> GetLastCommittedAsync(CancellationToken cancellationToken)
    {
        var end = await GetEndOffsetAsync(cancellationToken);
        // Read a growing tail until it holds a data record: the tail may be commit markers and aborted records.
        for (long back = 16; ; back *= 4)
        {
            var from = Math.Max(0, end - back);
            RestoreRecord? last = null;
            await foreach (var record in ReadRangeAsync(from, end, cancellationToken))
            {
                last = record;
            }
            if (last is not null || from == 0)
            {
                return last;
            }
        }
    }

    public async ValueTask<long> GetOffsetForTimestampAsync(long timestampMs, CancellationToken cancellationToken)
    {
        var offset = await ListOffsetAsync(OffsetSpec.ForTimestamp(timestampMs), IsolationLevel.ReadCommitted, cancellationToken);
        return offset >= 0 ? offset : await GetEndOffsetAsync(cancellationToken);
    }

    public async IAsyncEnumerable<RestoreRecord> ReadAsync(long fromOffset, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var end = await GetEndOffsetAsync(cancellationToken);
        await foreach (var record in ReadRangeAsync(fromOffset, end, cancellationToken))
        {
            yield return record;
        }
    }

    public void Dispose()
    {
        _consumer?.Close();
        _consumer?.Dispose();
    }

    private async IAsyncEnumerable<RestoreRecord> ReadRangeAsync(long from, long end, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (from >= end)
        {
            yield break;
        }
        await Task.Yield();
        _consumer ??= new ConsumerBuilder<byte[], byte[]>(ClientConfigs.RestoreConsumer(options)).Build();
        _consumer.Assign(new TopicPartitionOffset(_partition, from));
        var deadline = DateTime.UtcNow + StableWait;
        try
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var result = _consumer.Consume(Poll);
                if (result is null)
                {
                    if (DateTime.UtcNow > deadline)
                    {
                        throw new TimeoutException($"Reading {_partition} from {from} did not reach offset {end} within {StableWait}.");
                    }
                    continue;
                }
                if (result.IsPartitionEOF)
                {
                    // The end is stable (no open transaction below it), so reaching it means every committed record was read.
                    if (result.Offset.Value >= end)
                    {
                        yield break;
                    }
                    continue;
                }
                if (result.Offset.Value >= end)
                {
                    yield break;
                }
                yield return new RestoreRecord(result.Offset.Value, result.Message.Key, result.Message.Value, result.Message.Timestamp.UnixTimestampMs);
            }
        }
        finally
        {
            _consumer.Unassign();
        }
    }

    private async Task<long> ListOffsetAsync(OffsetSpec spec, IsolationLevel isolation, CancellationToken cancellationToken)
    {
        var result = await admin().ListOffsetsAsync(
            [new TopicPartitionOffsetSpec { TopicPartition = _partition, OffsetSpec = spec }],
            new ListOffsetsOptions { IsolationLevel = isolation, RequestTimeout = options.RequestTimeout });
        cancellationToken.ThrowIfCancellationRequested();
        return result.ResultInfos.Single().TopicPartitionOffsetError.Offset.Value;
    }
}
