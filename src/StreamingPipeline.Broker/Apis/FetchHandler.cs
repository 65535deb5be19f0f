using StreamingPipeline.Broker.Log;
using StreamingPipeline.Broker.Network;
using StreamingPipeline.Broker.Transactions;
using StreamingPipeline.Protocol;
using StreamingPipeline.Protocol.Messages;

namespace StreamingPipeline.Broker.Apis;

/// <summary>
/// Fetch (key 1), v4-12 (topics by name; v13+ uses topic ids). Record batches are copied from the segment files as
/// stored, never re-encoded. The request waits up to MaxWaitMs for MinBytes of data by awaiting the partitions'
/// append signals, never by polling. read_committed (isolation level 1) reads below the last stable offset and lists
/// the aborted transactions (producer id and first offset, from the partition's aborted-transaction index) that
/// overlap the returned batches, so the client drops their records; read_uncommitted reads up to the high watermark
/// and gets a null list. Control batches (transaction markers) are returned as stored, as Kafka does: clients skip
/// them and never deliver them as records. Every response carries the last stable offset, against which clients
/// compute read_committed lag. Incremental fetch sessions (KIP-227) are not offered: the response's session id is 0,
/// so clients send full fetches.
/// </summary>
internal sealed class FetchHandler(BrokerState broker) : ApiHandler<FetchRequest, FetchResponse>
{
    private const sbyte ReadCommitted = 1;

    public override short MinVersion => 4;
    public override short MaxVersion => 12;

    protected override async ValueTask<FetchResponse?> HandleAsync(RequestContext context, FetchRequest request, CancellationToken cancellationToken)
    {
        if (request.SessionId != 0)
        {
            return new FetchResponse { ErrorCode = (short)ErrorCode.FetchSessionIdNotFound };
        }
        var deadline = broker.Time.GetTimestamp() + (long)(Math.Max(0, request.MaxWaitMs) * (broker.Time.TimestampFrequency / 1000.0));
        while (true)
        {
            var reads = new List<LogReadResult>();
            var response = Read(request, reads, out var bytes, out var waitOn);
            var remaining = broker.Time.GetElapsedTime(broker.Time.GetTimestamp(), deadline);
            if (bytes >= request.MinBytes || waitOn.Count == 0 || remaining <= TimeSpan.Zero)
            {
                foreach (var read in reads)
                {
                    context.DisposeAfterResponse(read);
                }
                return response;
            }
            foreach (var read in reads)
            {
                read.Dispose();
            }
            await WaitForAppendAsync(waitOn, remaining, cancellationToken);
        }
    }

    private FetchResponse Read(FetchRequest request, List<LogReadResult> reads, out int bytes, out List<(PartitionLog Log, long EndOffset)> waitOn)
    {
        var response = new FetchResponse { SessionId = 0 };
        var readCommitted = request.IsolationLevel == ReadCommitted;
        var budget = request.MaxBytes <= 0 ? int.MaxValue : request.MaxBytes;
        bytes = 0;
        waitOn = [];
        foreach (var topic in request.Topics)
        {
            var topicResponse = new FetchResponse.FetchableTopicResponse { Topic = topic.Topic, TopicId = topic.TopicId };
            response.Responses.Add(topicResponse);
            foreach (var p in topic.Partitions)
            {
                var partition = broker.Logs.GetPartition(topic.Topic, p.Partition);
                if (partition is null)
                {
                    topicResponse.Partitions.Add(Failed(p.Partition, ErrorCode.UnknownTopicOrPartition));
                    continue;
                }
                // Read before the data: every abort below it is already indexed, so the list below is complete.
                var lastStableOffset = broker.LastStableOffset(partition);
                var bound = readCommitted ? lastStableOffset : partition.HighWatermark;
                var maxBytes = Math.Min(p.PartitionMaxBytes, budget - bytes);
                // KIP-74: the first batch of the first non-empty partition is returned even if it exceeds the limits.
                var read = partition.Read(p.FetchOffset, Math.Max(0, maxBytes), bound, minOneBatch: bytes == 0);
                reads.Add(read);
                bytes += read.Records.Length;
                waitOn.Add((partition, read.LogEndOffset));
                topicResponse.Partitions.Add(new FetchResponse.PartitionData
                {
                    PartitionIndex = p.Partition,
                    ErrorCode = (short)read.Error,
                    HighWatermark = read.HighWatermark,
                    LastStableOffset = lastStableOffset,
                    LogStartOffset = read.LogStartOffset,
                    AbortedTransactions = readCommitted ? AbortedTransactionsIn(partition, p.FetchOffset, read.Records.Span) : null,
                    PreferredReadReplica = -1,
                    Records = read.Records,
                });
            }
        }
        return response;
    }

    /// <summary>The aborted transactions a read_committed client needs to filter <paramref name="records"/>, read from <paramref name="fetchOffset"/>.</summary>
    private List<FetchResponse.AbortedTransaction> AbortedTransactionsIn(PartitionLog partition, long fetchOffset, ReadOnlySpan<byte> records)
    {
        var result = new List<FetchResponse.AbortedTransaction>();
        if (records.IsEmpty || broker.AbortedTransactions(partition) is not { Count: > 0 } index)
        {
            return result;
        }
        var aborted = new List<AbortedTransaction>();
        index.CollectAbortedTransactions(fetchOffset, EndOffsetOf(records), aborted);
        foreach (var transaction in aborted)
        {
            result.Add(new FetchResponse.AbortedTransaction { ProducerId = transaction.ProducerId, FirstOffset = transaction.FirstOffset });
        }
        return result;
    }

    /// <summary>The offset after the last batch in <paramref name="records"/> (whole batches, as the log returns them).</summary>
    private static long EndOffsetOf(ReadOnlySpan<byte> records)
    {
        var end = 0L;
        var position = 0;
        while (position + RecordBatchHeader.Size <= records.Length)
        {
            var header = new RecordBatchHeader(records[position..]);
            end = header.LastOffset + 1;
            position += header.TotalSize;
        }
        return end;
    }

    private static async Task WaitForAppendAsync(List<(PartitionLog Log, long EndOffset)> partitions, TimeSpan timeout, CancellationToken ct)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
        wait.CancelAfter(timeout);
        var appended = partitions.Select(p => p.Log.WaitForAppendAsync(p.EndOffset, wait.Token).AsTask()).ToArray();
        try
        {
            await Task.WhenAny(appended);
        }
        finally
        {
            await wait.CancelAsync();
            try
            {
                await Task.WhenAll(appended);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                // The other partitions' waits were cancelled on purpose.
            }
        }
    }

    private static FetchResponse.PartitionData Failed(int partition, ErrorCode error) => new()
    {
        PartitionIndex = partition,
        ErrorCode = (short)error,
        HighWatermark = -1,
        LastStableOffset = -1,
        LogStartOffset = -1,
        PreferredReadReplica = -1,
        Records = ReadOnlyMemory<byte>.Empty,
    };
}
