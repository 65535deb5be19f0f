using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace StreamingPipeline.Observability.Inspection;

/// <summary>
/// Reads records from a topic by assignment: it never joins a consumer group, never commits and never creates a topic.
/// A read that does not follow stops at the end each partition had when it began (at its isolation level), at the count
/// or at the query's timeout, whichever comes first.
/// </summary>
public sealed class MessageReader
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>Records taken off the consumer per hop to the thread pool.</summary>
    private const int MaxBatch = 500;

    private readonly ClusterMetadata _metadata;
    private readonly ReaderPool _readers;

    internal MessageReader(ClusterMetadata metadata, ReaderPool readers)
    {
        _metadata = metadata;
        _readers = readers;
    }

    /// <summary>Reads the records <paramref name="query"/> asks for into a list (see <see cref="ReadAsync"/>).</summary>
    public async Task<IReadOnlyList<TopicMessage>> ReadToListAsync(MessageQuery query, CancellationToken cancellationToken = default)
    {
        var messages = new List<TopicMessage>();
        await foreach (var message in ReadAsync(query, cancellationToken))
        {
            messages.Add(message);
        }
        return messages;
    }

    /// <summary>
    /// Yields the records <paramref name="query"/> asks for. <see cref="MessageStart.Newest"/> without following yields
    /// the newest records of all partitions together, oldest first by timestamp; other reads yield records as they arrive,
    /// in offset order within each partition. <see cref="TopicNotFoundException"/> when the topic or partition does not exist.
    /// </summary>
    public async IAsyncEnumerable<TopicMessage> ReadAsync(MessageQuery query, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Validate(query);
        var partitions = await PartitionsAsync(query, cancellationToken);
        var offsets = await _metadata.OffsetsAsync(partitions, cancellationToken);
        var starts = await StartOffsetsAsync(query, offsets, cancellationToken);
        var ends = offsets.ToDictionary(o => o.Partition.Partition.Value, o => Bound(o.Offsets, query.Isolation));
        var pending = starts.Where(s => s.Value < ends[s.Key]).Select(s => s.Key).ToHashSet();
        var buffered = query.Start == MessageStart.Newest && !query.Follow ? new List<TopicMessage>() : null;
        var yielded = 0;
        var clock = Stopwatch.StartNew();

        var consumer = _readers.Rent(query.Isolation);
        try
        {
            consumer.Assign(starts.Select(s => new TopicPartitionOffset(query.Topic, s.Key, s.Value)));
            while (query.Follow || (pending.Count > 0 && clock.Elapsed < query.Timeout))
            {
                foreach (var result in await ConsumeAsync(consumer, query.Topic, cancellationToken))
                {
                    if (buffered is null && yielded >= query.MaxMessages)
                    {
                        yield break;
                    }
                    if (!query.Follow && pending.Count == 0)
                    {
                        // Every partition reached the end it had when the read began: the rest of the batch is newer.
                        break;
                    }
                    var partition = result.Partition.Value;
                    if (result.IsPartitionEOF)
                    {
                        pending.Remove(partition);
                        continue;
                    }
                    if (result.Offset.Value >= ends[partition] - 1)
                    {
                        pending.Remove(partition);
                    }
                    var message = ToMessage(result);
                    if (!Matches(message, query.Filter))
                    {
                        continue;
                    }
                    if (buffered is not null)
                    {
                        buffered.Add(message);
                        continue;
                    }
                    yielded++;
                    yield return message;
                }
                if (buffered is null && yielded >= query.MaxMessages)
                {
                    yield break;
                }
            }
        }
        finally
        {
            _readers.Return(consumer, query.Isolation);
        }
        if (buffered is not null)
        {
            var newest = buffered.OrderBy(m => m.TimestampUnixMs).ThenBy(m => m.Partition).ThenBy(m => m.Offset).ToList();
            foreach (var message in newest.Skip(Math.Max(0, newest.Count - (query.MaxMessages ?? newest.Count))))
            {
                yield return message;
            }
        }
    }

    private static void Validate(MessageQuery query)
    {
        if (query.MaxMessages is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(query), "MaxMessages must be at least 1.");
        }
        if (query.Start == MessageStart.Offset && query.Offset is not >= 0)
        {
            throw new ArgumentException("A read from an offset needs an Offset of at least 0.", nameof(query));
        }
        if (query.Start == MessageStart.Timestamp && query.TimestampUnixMs is null)
        {
            throw new ArgumentException("A read from a timestamp needs TimestampUnixMs.", nameof(query));
        }
    }

    private async Task<List<TopicPartition>> PartitionsAsync(MessageQuery query, CancellationToken cancellationToken)
    {
        var all = await _metadata.PartitionsOfAsync(query.Topic, cancellationToken);
        if (query.Partition is { } one && !all.Contains(one))
        {
            throw new TopicNotFoundException($"topic {query.Topic} has no partition {one} (it has {all.Count}).");
        }
        return all.Where(p => query.Partition is null || p == query.Partition).Select(p => new TopicPartition(query.Topic, p)).ToList();
    }

    private async Task<Dictionary<int, long>> StartOffsetsAsync(MessageQuery query, IReadOnlyList<(TopicPartition Partition, PartitionOffsets Offsets)> offsets, CancellationToken cancellationToken)
    {
        Dictionary<TopicPartition, long>? byTime = null;
        if (query.Start == MessageStart.Timestamp)
        {
            byTime = await _metadata.ListAsync(offsets.Select(o => o.Partition).ToList(), OffsetSpec.ForTimestamp(query.TimestampUnixMs!.Value), query.Isolation.ToKafka(), cancellationToken);
        }
        return offsets.ToDictionary(o => o.Partition.Partition.Value, o =>
        {
            var bound = Bound(o.Offsets, query.Isolation);
            return query.Start switch
            {
                MessageStart.Beginning => o.Offsets.StartOffset,
                MessageStart.End => bound,
                MessageStart.Offset => Math.Clamp(query.Offset!.Value, o.Offsets.StartOffset, Math.Max(o.Offsets.StartOffset, bound)),
                MessageStart.Timestamp => byTime![o.Partition] is var found and >= 0 ? found : bound,
                _ => Math.Max(o.Offsets.StartOffset, bound - (query.MaxMessages ?? long.MaxValue / 2)),
            };
        });
    }

    private static long Bound(PartitionOffsets offsets, ReadIsolation isolation) =>
        isolation == ReadIsolation.ReadCommitted ? offsets.LastStableOffset : offsets.EndOffset;

    private static async Task<List<ConsumeResult<byte[]?, byte[]?>>> ConsumeAsync(IConsumer<byte[]?, byte[]?> consumer, string topic, CancellationToken cancellationToken)
    {
        try
        {
            // Consume blocks: a short poll on a pool thread keeps the caller's thread free and lets cancellation in
            // between polls. What is already fetched comes in the same hop, not one hop per record: on a busy machine
            // each hop waits for a pool thread.
            return await Task.Run(() =>
            {
                var batch = new List<ConsumeResult<byte[]?, byte[]?>>();
                for (var result = consumer.Consume(PollInterval); result is not null; result = consumer.Consume(TimeSpan.Zero))
                {
                    batch.Add(result);
                    if (batch.Count >= MaxBatch)
                    {
                        break;
                    }
                }
                return batch;
            }, cancellationToken);
        }
        catch (ConsumeException ex)
        {
            throw new InspectionException($"reading {topic} failed: {ex.Error.Reason}", ex);
        }
    }

    private static TopicMessage ToMessage(ConsumeResult<byte[]?, byte[]?> result) => new(
        result.Topic,
        result.Partition.Value,
        result.Offset.Value,
        result.Message.Timestamp.UnixTimestampMs,
        result.Message.Timestamp.Type switch
        {
            Confluent.Kafka.TimestampType.CreateTime => "create",
            Confluent.Kafka.TimestampType.LogAppendTime => "log-append",
            _ => "none",
        },
        result.Message.Key,
        result.Message.Value,
        result.Message.Headers?.Select(h => new MessageHeader(h.Key, h.GetValueBytes())).ToList() ?? []);

    private static bool Matches(TopicMessage message, string? filter) =>
        string.IsNullOrEmpty(filter)
        || Contains(message.Key, filter)
        || Contains(message.Value, filter)
        || message.Headers.Any(h => Contains(h.Value, filter));

    private static bool Contains(byte[]? bytes, string text) =>
        bytes is not null && Encoding.UTF8.GetString(bytes).Contains(text, StringComparison.OrdinalIgnoreCase);
}
