using Confluent.Kafka;
using StreamingPipeline.Broker.Tests.Log;
using StreamingPipeline.Protocol.Messages;
using ProtocolErrorCode = StreamingPipeline.Protocol.ErrorCode;

namespace StreamingPipeline.Broker.Tests.Integration.Transactions;

/// <summary>Idempotent producers: retries never store a batch twice, gaps are refused, and both survive a restart.</summary>
public class IdempotenceTests : IDisposable
{
    private const short ProduceVersion = 7;
    private const short InitProducerIdVersion = 1;
    private readonly string _dataDirectory = Directory.CreateTempSubdirectory("idempotence-").FullName;

    public void Dispose() => Directory.Delete(_dataDirectory, recursive: true);

    [Fact]
    public async Task IdempotentProducerStoresEveryRecordExactlyOnceInOrder()
    {
        await using var broker = await EmbeddedBroker.CreateBuilder().WithTopic("idempotent", partitions: 3).StartAsync();
        using var producer = KafkaClients.Producer(broker.BootstrapServers, c => c.EnableIdempotence = true);
        var deliveries = new List<Task<DeliveryResult<string, string>>>();
        for (var i = 0; i < 3000; i++)
        {
            deliveries.Add(producer.ProduceAsync("idempotent", new Message<string, string> { Key = $"k{i % 31}", Value = $"v{i:D5}" }));
        }
        var delivered = await Task.WhenAll(deliveries);

        var stored = KafkaClients.ReadAll(broker.BootstrapServers, "idempotent", 3, IsolationLevel.ReadUncommitted);
        Assert.Equal(3000, stored.Count);
        Assert.Equal(
            delivered.Select(d => (d.Partition.Value, d.Offset.Value, d.Message.Value)).Order(),
            stored.Select(r => (r.Partition.Value, r.Offset.Value, r.Message.Value)).Order());
        foreach (var partition in stored.GroupBy(r => r.Partition.Value))
        {
            // Per partition the log order is the send order.
            Assert.Equal(partition.Select(r => r.Message.Value).Order(StringComparer.Ordinal), partition.Select(r => r.Message.Value));
        }
    }

    [Fact]
    public async Task ARetryAfterALostAcknowledgementIsNotStoredTwice()
    {
        await using var broker = await StartBehindProxyAsync("lost-ack");
        await using var proxy = new AckDroppingProxy(broker.Port);
        using var producer = KafkaClients.Producer($"{AckDroppingProxy.Host}:{broker.Port}", c =>
        {
            c.EnableIdempotence = true;
            c.LingerMs = 0;
        });
        var first = await producer.ProduceAsync(new TopicPartition("lost-ack", 0), Message("first"));

        proxy.DropNextProduceResponse();
        var retried = await producer.ProduceAsync(new TopicPartition("lost-ack", 0), Message("retried"));
        var last = await producer.ProduceAsync(new TopicPartition("lost-ack", 0), Message("last"));

        Assert.Equal(1, proxy.DroppedResponses);
        Assert.True(proxy.ProduceRequests >= 4, $"the lost batch should have been sent again; saw {proxy.ProduceRequests} produce requests");
        Assert.Equal([0L, 1L, 2L], new[] { first.Offset.Value, retried.Offset.Value, last.Offset.Value });
        Assert.Equal(3, broker.State.Logs.GetPartition("lost-ack", 0)!.LogEndOffset);
        var stored = KafkaClients.ReadAll(broker.BootstrapServers, "lost-ack", 1, IsolationLevel.ReadUncommitted);
        Assert.Equal(["first", "retried", "last"], stored.Select(r => r.Message.Value));
    }

    [Fact]
    public async Task WithoutIdempotenceTheSameLostAcknowledgementDuplicatesTheRecord()
    {
        // The control for the test above: the proxy really makes the client send a stored batch again.
        await using var broker = await StartBehindProxyAsync("lost-ack-plain");
        await using var proxy = new AckDroppingProxy(broker.Port);
        using var producer = KafkaClients.Producer($"{AckDroppingProxy.Host}:{broker.Port}", c =>
        {
            c.EnableIdempotence = false;
            c.LingerMs = 0;
        });
        await producer.ProduceAsync(new TopicPartition("lost-ack-plain", 0), Message("first"));

        proxy.DropNextProduceResponse();
        await producer.ProduceAsync(new TopicPartition("lost-ack-plain", 0), Message("retried"));

        var stored = KafkaClients.ReadAll(broker.BootstrapServers, "lost-ack-plain", 1, IsolationLevel.ReadUncommitted);
        Assert.Equal(["first", "retried", "retried"], stored.Select(r => r.Message.Value));
    }

    [Fact]
    public async Task ASequenceGapIsRefusedWithOutOfOrderSequenceNumber()
    {
        await using var broker = await EmbeddedBroker.CreateBuilder().WithTopic("gaps").StartAsync();
        using var client = await RawKafkaClient.ConnectAsync(broker.Port);
        var producerId = await InitProducerIdAsync(client);

        var first = await ProduceAsync(client, "gaps", Batch(producerId, baseSequence: 0, count: 3));
        var gap = await ProduceAsync(client, "gaps", Batch(producerId, baseSequence: 5, count: 1));
        var next = await ProduceAsync(client, "gaps", Batch(producerId, baseSequence: 3, count: 2));

        Assert.Equal((ProtocolErrorCode.None, 0L), first);
        Assert.Equal(ProtocolErrorCode.OutOfOrderSequenceNumber, gap.Error);
        Assert.Equal((ProtocolErrorCode.None, 3L), next);
        Assert.Equal(5, broker.State.Logs.GetPartition("gaps", 0)!.LogEndOffset);
    }

    [Fact]
    public async Task ARepeatedBatchIsAcknowledgedWithItsOriginalOffsetAcrossACleanRestart()
    {
        long producerId;
        await using (var broker = await EmbeddedBroker.CreateBuilder().WithDataDirectory(_dataDirectory).WithTopic("repeats").StartAsync())
        {
            using var client = await RawKafkaClient.ConnectAsync(broker.Port);
            producerId = await InitProducerIdAsync(client);
            for (var sequence = 0; sequence < 30; sequence += 3)
            {
                Assert.Equal(ProtocolErrorCode.None, (await ProduceAsync(client, "repeats", Batch(producerId, sequence, 3))).Error);
            }
            Assert.Equal((ProtocolErrorCode.None, 27L), await ProduceAsync(client, "repeats", Batch(producerId, 27, 3)));
        }

        await using var restarted = await EmbeddedBroker.CreateBuilder().WithDataDirectory(_dataDirectory).StartAsync();
        using var again = await RawKafkaClient.ConnectAsync(restarted.Port);

        // The last five batches are remembered across the restart; older ones are out of the window.
        Assert.Equal((ProtocolErrorCode.None, 15L), await ProduceAsync(again, "repeats", Batch(producerId, 15, 3)));
        Assert.Equal((ProtocolErrorCode.None, 27L), await ProduceAsync(again, "repeats", Batch(producerId, 27, 3)));
        Assert.Equal(30, restarted.State.Logs.GetPartition("repeats", 0)!.LogEndOffset);
        Assert.Equal(ProtocolErrorCode.OutOfOrderSequenceNumber, (await ProduceAsync(again, "repeats", Batch(producerId, 31, 1))).Error);
        Assert.Equal((ProtocolErrorCode.None, 30L), await ProduceAsync(again, "repeats", Batch(producerId, 30, 1)));
    }

    [Fact]
    public async Task ARepeatedBatchIsRecognisedAfterACrashFromTheLogAlone()
    {
        var crashImage = Directory.CreateTempSubdirectory("idempotence-crash-").FullName;
        try
        {
            long producerId;
            await using (var broker = await EmbeddedBroker.CreateBuilder().WithDataDirectory(_dataDirectory).WithTopic("crashed").StartAsync())
            {
                using var client = await RawKafkaClient.ConnectAsync(broker.Port);
                producerId = await InitProducerIdAsync(client);
                for (var sequence = 0; sequence < 12; sequence += 2)
                {
                    Assert.Equal(ProtocolErrorCode.None, (await ProduceAsync(client, "crashed", Batch(producerId, sequence, 2))).Error);
                }

                // What a kill -9 leaves: the files as written so far, without the snapshot a clean close takes.
                CrashImage.Copy(_dataDirectory, crashImage);
            }

            await using var recovered = await EmbeddedBroker.CreateBuilder().WithDataDirectory(crashImage).StartAsync();
            using var again = await RawKafkaClient.ConnectAsync(recovered.Port);

            Assert.Empty(Directory.GetFiles(Path.Combine(crashImage, "topics", "crashed-0"), "*.snapshot"));
            Assert.Equal((ProtocolErrorCode.None, 10L), await ProduceAsync(again, "crashed", Batch(producerId, 10, 2)));
            Assert.Equal((ProtocolErrorCode.None, 12L), await ProduceAsync(again, "crashed", Batch(producerId, 12, 2)));
        }
        finally
        {
            Directory.Delete(crashImage, recursive: true);
        }
    }

    private static Task<EmbeddedBroker> StartBehindProxyAsync(string topic) =>
        EmbeddedBroker.CreateBuilder()
            .WithOptions(o => o with { Host = "127.0.0.1", AdvertisedHost = AckDroppingProxy.Host })
            .WithTopic(topic)
            .StartAsync();

    private static Message<string, string> Message(string value) => new() { Key = "k", Value = value };

    private static byte[] Batch(long producerId, int baseSequence, int count) =>
        RecordBatchBuilder.Build(
            Enumerable.Range(0, count).Select(i => ((byte[]?)new byte[] { 1 }, (byte[]?)new byte[] { (byte)(baseSequence + i) }, RecordBatchBuilder.DefaultTimestamp)).ToList(),
            producerId,
            producerEpoch: 0,
            baseSequence: baseSequence);

    private static async Task<long> InitProducerIdAsync(RawKafkaClient client)
    {
        var response = await client.SendAsync<InitProducerIdRequest, InitProducerIdResponse>(
            new InitProducerIdRequest { TransactionalId = null, TransactionTimeoutMs = 60_000 }, InitProducerIdVersion);
        Assert.Equal((short)ProtocolErrorCode.None, response.ErrorCode);
        Assert.Equal(0, response.ProducerEpoch);
        return response.ProducerId;
    }

    private static async Task<(ProtocolErrorCode Error, long BaseOffset)> ProduceAsync(RawKafkaClient client, string topic, byte[] batch)
    {
        var request = new ProduceRequest
        {
            Acks = -1,
            TimeoutMs = 10_000,
            TopicData =
            [
                new ProduceRequest.TopicProduceData
                {
                    Name = topic,
                    PartitionData = [new ProduceRequest.PartitionProduceData { Index = 0, Records = batch }],
                },
            ],
        };
        var response = await client.SendAsync<ProduceRequest, ProduceResponse>(request, ProduceVersion);
        var partition = response.Responses.Single().PartitionResponses.Single();
        return ((ProtocolErrorCode)partition.ErrorCode, partition.BaseOffset);
    }
}
