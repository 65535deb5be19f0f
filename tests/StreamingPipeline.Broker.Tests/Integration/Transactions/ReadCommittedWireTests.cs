using System.Buffers.Binary;
using System.Text;
using StreamingPipeline.Broker.Tests.Log;
using StreamingPipeline.Protocol;
using StreamingPipeline.Protocol.Messages;

namespace StreamingPipeline.Broker.Tests.Integration.Transactions;

/// <summary>
/// The transactional protocol checked on raw bytes against the Kafka spec, not through one client's tolerance: the
/// read_committed Fetch response (last stable offset, aborted transactions, markers), and the produce path's refusals.
/// </summary>
public class ReadCommittedWireTests
{
    private const string Topic = "wire";
    private const string TransactionalId = "wire-tx";
    private const short FetchVersion = 4;

    [Fact]
    public async Task ReadCommittedFetchV4CarriesTheLastStableOffsetAndTheAbortedTransactionsAsTheSpecLaysThemOut()
    {
        await using var broker = await EmbeddedBroker.CreateBuilder().WithTopic(Topic).StartAsync();
        using var client = await RawKafkaClient.ConnectAsync(broker.Port);
        var producerId = await WriteScriptedPartitionAsync(client);

        var committed = ParseFetchV4(await client.SendRawAsync(ApiKey.Fetch, FetchVersion, FetchV4Body(Topic, fetchOffset: 0, isolationLevel: 1)));
        var fromCommitted = ParseFetchV4(await client.SendRawAsync(ApiKey.Fetch, FetchVersion, FetchV4Body(Topic, fetchOffset: 4, isolationLevel: 1)));
        var uncommitted = ParseFetchV4(await client.SendRawAsync(ApiKey.Fetch, FetchVersion, FetchV4Body(Topic, fetchOffset: 0, isolationLevel: 0)));

        // Offsets: 0-2 aborted data, 3 ABORT, 4-5 committed data, 6 COMMIT, 7 open transaction, 8 plain record.
        Assert.Equal((short)ErrorCode.None, committed.ErrorCode);
        Assert.Equal(9, committed.HighWatermark);
        Assert.Equal(7, committed.LastStableOffset);
        Assert.Equal([(producerId, 0L)], committed.AbortedTransactions);
        Assert.Equal([(0L, false, -1), (3L, true, 0), (4L, false, -1), (6L, true, 1)], committed.Batches);

        Assert.Equal(7, fromCommitted.LastStableOffset);
        Assert.Equal([], fromCommitted.AbortedTransactions);
        Assert.Equal([(4L, false, -1), (6L, true, 1)], fromCommitted.Batches);

        Assert.Equal(9, uncommitted.HighWatermark);
        Assert.Equal(7, uncommitted.LastStableOffset);
        Assert.Null(uncommitted.AbortedTransactions);
        Assert.Equal([0L, 3L, 4L, 6L, 7L, 8L], uncommitted.Batches!.Select(b => b.BaseOffset));
    }

    [Fact]
    public async Task ATransactionalWriteToAPartitionNotInTheTransactionIsRejected()
    {
        await using var broker = await EmbeddedBroker.CreateBuilder().WithTopic(Topic, partitions: 2).StartAsync();
        using var client = await RawKafkaClient.ConnectAsync(broker.Port);
        var (producerId, epoch) = await InitTransactionalAsync(client);
        Assert.Equal(ErrorCode.None, await AddPartitionAsync(client, producerId, epoch, partition: 0));

        var notAdded = await ProduceAsync(client, TransactionalBatch(producerId, epoch, 0, 1), partition: 1);
        var added = await ProduceAsync(client, TransactionalBatch(producerId, epoch, 0, 1), partition: 0);
        var withoutId = await ProduceAsync(client, TransactionalBatch(producerId, epoch, 1, 1), partition: 0, transactionalId: null);

        Assert.Equal(ErrorCode.InvalidTxnState, notAdded);
        Assert.Equal(ErrorCode.None, added);
        Assert.Equal(ErrorCode.TransactionalIdAuthorizationFailed, withoutId);
        Assert.Equal(0, broker.State.Logs.GetPartition(Topic, 1)!.LogEndOffset);
    }

    [Fact]
    public async Task AdvertisedTransactionApiVersionsAreTheImplementedOnes()
    {
        await using var broker = await EmbeddedBroker.CreateBuilder().StartAsync();
        using var client = await RawKafkaClient.ConnectAsync(broker.Port);

        var versions = await client.SendAsync<ApiVersionsRequest, ApiVersionsResponse>(new ApiVersionsRequest(), 0);

        var advertised = versions.ApiKeys.ToDictionary(k => (ApiKey)k.ApiKey, k => (k.MinVersion, k.MaxVersion));
        Assert.Equal((0, 4), advertised[ApiKey.InitProducerId]);
        Assert.Equal((0, 3), advertised[ApiKey.AddPartitionsToTxn]);
        Assert.Equal((0, 3), advertised[ApiKey.AddOffsetsToTxn]);
        Assert.Equal((0, 3), advertised[ApiKey.EndTxn]);
        Assert.Equal((0, 3), advertised[ApiKey.TxnOffsetCommit]);
        Assert.False(advertised.ContainsKey(ApiKey.WriteTxnMarkers));
    }

    /// <summary>Writes the layout the first test describes through the transactional API; returns the producer id.</summary>
    private static async Task<long> WriteScriptedPartitionAsync(RawKafkaClient client)
    {
        var (producerId, epoch) = await InitTransactionalAsync(client);
        Assert.Equal(ErrorCode.None, await AddPartitionAsync(client, producerId, epoch, 0));
        Assert.Equal(ErrorCode.None, await ProduceAsync(client, TransactionalBatch(producerId, epoch, 0, 3)));
        Assert.Equal(ErrorCode.None, await EndTxnAsync(client, producerId, epoch, commit: false));
        Assert.Equal(ErrorCode.None, await AddPartitionAsync(client, producerId, epoch, 0));
        Assert.Equal(ErrorCode.None, await ProduceAsync(client, TransactionalBatch(producerId, epoch, 3, 2)));
        Assert.Equal(ErrorCode.None, await EndTxnAsync(client, producerId, epoch, commit: true));
        Assert.Equal(ErrorCode.None, await AddPartitionAsync(client, producerId, epoch, 0));
        Assert.Equal(ErrorCode.None, await ProduceAsync(client, TransactionalBatch(producerId, epoch, 5, 1)));
        Assert.Equal(ErrorCode.None, await ProduceAsync(client, RecordBatchBuilder.Build(1), transactionalId: null));
        return producerId;
    }

    private static async Task<(long ProducerId, short Epoch)> InitTransactionalAsync(RawKafkaClient client)
    {
        var response = await client.SendAsync<InitProducerIdRequest, InitProducerIdResponse>(
            new InitProducerIdRequest { TransactionalId = TransactionalId, TransactionTimeoutMs = 60_000 }, 1);
        Assert.Equal((short)ErrorCode.None, response.ErrorCode);
        return (response.ProducerId, response.ProducerEpoch);
    }

    private static async Task<ErrorCode> AddPartitionAsync(RawKafkaClient client, long producerId, short epoch, int partition)
    {
        var response = await client.SendAsync<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse>(new AddPartitionsToTxnRequest
        {
            V3AndBelowTransactionalId = TransactionalId,
            V3AndBelowProducerId = producerId,
            V3AndBelowProducerEpoch = epoch,
            V3AndBelowTopics = [new AddPartitionsToTxnRequest.AddPartitionsToTxnTopic { Name = Topic, Partitions = [partition] }],
        }, 1);
        return (ErrorCode)response.ResultsByTopicV3AndBelow.Single().ResultsByPartition.Single().PartitionErrorCode;
    }

    private static async Task<ErrorCode> EndTxnAsync(RawKafkaClient client, long producerId, short epoch, bool commit)
    {
        var response = await client.SendAsync<EndTxnRequest, EndTxnResponse>(
            new EndTxnRequest { TransactionalId = TransactionalId, ProducerId = producerId, ProducerEpoch = epoch, Committed = commit }, 1);
        return (ErrorCode)response.ErrorCode;
    }

    private static async Task<ErrorCode> ProduceAsync(RawKafkaClient client, byte[] batch, int partition = 0, string? transactionalId = TransactionalId)
    {
        var response = await client.SendAsync<ProduceRequest, ProduceResponse>(new ProduceRequest
        {
            TransactionalId = transactionalId,
            Acks = -1,
            TimeoutMs = 10_000,
            TopicData = [new ProduceRequest.TopicProduceData { Name = Topic, PartitionData = [new ProduceRequest.PartitionProduceData { Index = partition, Records = batch }] }],
        }, 7);
        return (ErrorCode)response.Responses.Single().PartitionResponses.Single().ErrorCode;
    }

    private static byte[] TransactionalBatch(long producerId, short epoch, int baseSequence, int count) =>
        RecordBatchBuilder.Build(
            Enumerable.Range(0, count).Select(i => ((byte[]?)null, (byte[]?)Encoding.UTF8.GetBytes($"v{baseSequence + i}"), RecordBatchBuilder.DefaultTimestamp)).ToList(),
            producerId,
            epoch,
            baseSequence,
            transactional: true);

    /// <summary>Fetch v4 request body, field by field as FetchRequest.json lays it out for version 4.</summary>
    private static byte[] FetchV4Body(string topic, long fetchOffset, sbyte isolationLevel)
    {
        var body = new List<byte>();
        Int32(body, -1); // replica_id
        Int32(body, 0); // max_wait_ms
        Int32(body, 0); // min_bytes
        Int32(body, 1 << 20); // max_bytes (v3+)
        body.Add((byte)isolationLevel); // isolation_level (v4+)
        Int32(body, 1); // topics: one
        var name = Encoding.UTF8.GetBytes(topic);
        body.Add((byte)(name.Length >> 8));
        body.Add((byte)name.Length);
        body.AddRange(name);
        Int32(body, 1); // partitions: one
        Int32(body, 0); // partition
        var offset = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(offset, fetchOffset);
        body.AddRange(offset); // fetch_offset
        Int32(body, 1 << 20); // partition_max_bytes
        return [.. body];
    }

    /// <summary>Reads a Fetch v4 response for one topic and partition by hand, then the record batches' headers.</summary>
    private static FetchV4Partition ParseFetchV4(byte[] response)
    {
        var span = response.AsSpan();
        var position = 0;
        _ = Read32(span, ref position); // throttle_time_ms
        Assert.Equal(1, Read32(span, ref position)); // responses
        var nameLength = BinaryPrimitives.ReadInt16BigEndian(span[position..]);
        Assert.Equal(Topic, Encoding.UTF8.GetString(span.Slice(position + 2, nameLength)));
        position += 2 + nameLength;
        Assert.Equal(1, Read32(span, ref position)); // partitions
        Assert.Equal(0, Read32(span, ref position)); // partition_index
        var errorCode = BinaryPrimitives.ReadInt16BigEndian(span[position..]);
        position += 2;
        var highWatermark = Read64(span, ref position);
        var lastStableOffset = Read64(span, ref position);
        var abortedCount = Read32(span, ref position);
        List<(long ProducerId, long FirstOffset)>? aborted = abortedCount < 0 ? null : [];
        for (var i = 0; i < abortedCount; i++)
        {
            aborted!.Add((Read64(span, ref position), Read64(span, ref position)));
        }
        var recordsLength = Read32(span, ref position);
        var records = recordsLength < 0 ? [] : span.Slice(position, recordsLength);
        Assert.Equal(response.Length, position + Math.Max(0, recordsLength));

        var batches = new List<(long BaseOffset, bool Control, int MarkerType)>();
        var at = 0;
        while (at < records.Length)
        {
            var baseOffset = BinaryPrimitives.ReadInt64BigEndian(records[at..]);
            var batchLength = BinaryPrimitives.ReadInt32BigEndian(records[(at + 8)..]);
            var attributes = BinaryPrimitives.ReadInt16BigEndian(records[(at + 21)..]);
            var control = (attributes & 0x20) != 0;
            Assert.True((attributes & 0x10) != 0 || !control, "a control batch is always transactional");
            // A control record's key is [version int16][type int16]; the record starts after the 61-byte header
            // with a length varint, attributes, timestamp and offset deltas and the key length, one byte each here.
            var markerType = control ? BinaryPrimitives.ReadInt16BigEndian(records[(at + 61 + 5 + 2)..]) : -1;
            batches.Add((baseOffset, control, markerType));
            at += 12 + batchLength;
        }
        return new FetchV4Partition(errorCode, highWatermark, lastStableOffset, aborted, batches);
    }

    private static int Read32(ReadOnlySpan<byte> span, ref int position)
    {
        var value = BinaryPrimitives.ReadInt32BigEndian(span[position..]);
        position += 4;
        return value;
    }

    private static long Read64(ReadOnlySpan<byte> span, ref int position)
    {
        var value = BinaryPrimitives.ReadInt64BigEndian(span[position..]);
        position += 8;
        return value;
    }

    private static void Int32(List<byte> bytes, int value)
    {
        var buffer = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(buffer, value);
        bytes.AddRange(buffer);
    }

    private sealed record FetchV4Partition(
        short ErrorCode,
        long HighWatermark,
        long LastStableOffset,
        List<(long ProducerId, long FirstOffset)>? AbortedTransactions,
        List<(long BaseOffset, bool Control, int MarkerType)> Batches);
}
