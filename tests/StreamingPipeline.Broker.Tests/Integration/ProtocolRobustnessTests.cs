using System.Buffers.Binary;
using System.Net.Sockets;
using Confluent.Kafka;
using StreamingPipeline.Protocol;
using StreamingPipeline.Protocol.Messages;
using ErrorCode = StreamingPipeline.Protocol.ErrorCode;

namespace StreamingPipeline.Broker.Tests.Integration;

/// <summary>Hostile and broken clients on raw sockets, while a well-behaved client keeps being served.</summary>
public class ProtocolRobustnessTests
{
    [Fact]
    public async Task GarbageFramesCloseOnlyTheirOwnConnection()
    {
        await using var broker = await EmbeddedBroker.CreateBuilder().WithTopic("steady").StartAsync();
        using var producer = KafkaClients.Producer(broker.BootstrapServers);
        var random = new Random(42);
        var steadyOffsets = new List<long>();
        for (var round = 0; round < 40; round++)
        {
            var garbage = new byte[random.Next(1, 300)];
            random.NextBytes(garbage);
            byte[] frame = (round % 4) switch
            {
                // A sane length with a random body: unknown key, bad version or malformed fields.
                0 => Frame(garbage),
                // A length far beyond the buffer that never arrives, then disconnect.
                1 => [.. BigEndian(int.MaxValue), .. garbage],
                // Negative and tiny lengths.
                2 => [.. BigEndian(-5), .. garbage],
                // A valid-looking header for a known API with a truncated body.
                _ => Frame([.. BigEndian16((short)ApiKey.Produce), .. BigEndian16(9), .. BigEndian(round), 0xFF, 0xFF, .. garbage.Take(3)]),
            };
            await SendAndExpectCloseOrAnswerAsync(broker.Port, frame);
            var delivery = await producer.ProduceAsync("steady", new Message<string, string> { Key = "k", Value = $"v{round}" });
            steadyOffsets.Add(delivery.Offset.Value);
        }
        Assert.Equal(Enumerable.Range(0, 40).Select(i => (long)i), steadyOffsets);
    }

    [Fact]
    public async Task AHugeDeclaredLengthIsRejectedBeforeAnythingIsAllocated()
    {
        await using var broker = await EmbeddedBroker.CreateBuilder().StartAsync();
        var before = GC.GetTotalAllocatedBytes(precise: true);
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", broker.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(BigEndian(1 << 30));
        Assert.Equal(0, await ReadUntilClosedAsync(stream));
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Assert.True(allocated < 16 << 20, $"allocated {allocated} bytes for a 1 GiB length");
    }

    [Fact]
    public async Task UnsupportedApiVersionsVersionGetsAV0ErrorResponseWithTheApiList()
    {
        await using var broker = await EmbeddedBroker.CreateBuilder().StartAsync();
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", broker.Port);
        var stream = client.GetStream();
        // ApiVersions v99, header v1 (client id "x").
        byte[] body = [.. BigEndian16((short)ApiKey.ApiVersions), .. BigEndian16(99), .. BigEndian(7), .. BigEndian16(1), (byte)'x'];
        await stream.WriteAsync(Frame(body));
        var response = await ReadFrameAsync(stream);

        var reader = new ProtocolReader(response);
        Assert.Equal(7, reader.ReadInt32());
        var versions = ApiVersionsResponse.Read(reader, 0);
        Assert.Equal((short)ErrorCode.UnsupportedVersion, versions.ErrorCode);
        Assert.Contains(versions.ApiKeys, k => k.ApiKey == (short)ApiKey.Fetch && k.MinVersion <= 4 && k.MaxVersion >= 11);
    }

    [Fact]
    public async Task AClientThatDisconnectsMidRequestDoesNotDisturbOthers()
    {
        await using var broker = await EmbeddedBroker.CreateBuilder().WithTopic("t").StartAsync();
        for (var i = 0; i < 20; i++)
        {
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", broker.Port);
            var frame = Frame([.. BigEndian16((short)ApiKey.Metadata), .. BigEndian16(9), .. BigEndian(i), 0, 0, 0, 0, 0]);
            await client.GetStream().WriteAsync(frame.AsMemory(0, frame.Length / 2));
            client.Close();
        }
        using var producer = KafkaClients.Producer(broker.BootstrapServers);
        var delivery = await producer.ProduceAsync("t", new Message<string, string> { Key = "k", Value = "v" });
        Assert.Equal(PersistenceStatus.Persisted, delivery.Status);
    }

    private static async Task SendAndExpectCloseOrAnswerAsync(int port, byte[] frame)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port);
        var stream = client.GetStream();
        await stream.WriteAsync(frame);
        client.Client.Shutdown(SocketShutdown.Send);
        // Whatever the broker does (answer with an error, or close), it must finish promptly.
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await ReadUntilClosedAsync(stream, cts.Token);
    }

    private static async Task<int> ReadUntilClosedAsync(NetworkStream stream, CancellationToken ct = default)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(TimeSpan.FromSeconds(10));
        var buffer = new byte[4096];
        var total = 0;
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer, cts.Token)) > 0)
            {
                total += n;
            }
        }
        catch (IOException)
        {
            // Reset by the broker: closed.
        }
        return total;
    }

    private static async Task<byte[]> ReadFrameAsync(NetworkStream stream)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var size = new byte[4];
        await stream.ReadExactlyAsync(size, cts.Token);
        var frame = new byte[BinaryPrimitives.ReadInt32BigEndian(size)];
        await stream.ReadExactlyAsync(frame, cts.Token);
        return frame;
    }

    private static byte[] Frame(byte[] body) => [.. BigEndian(body.Length), .. body];

    private static byte[] BigEndian(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, value);
        return bytes;
    }

    private static byte[] BigEndian16(short value)
    {
        var bytes = new byte[2];
        BinaryPrimitives.WriteInt16BigEndian(bytes, value);
        return bytes;
    }
}
