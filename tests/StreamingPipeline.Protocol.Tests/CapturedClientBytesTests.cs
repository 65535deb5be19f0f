using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Confluent.Kafka;
using StreamingPipeline.Protocol.Messages;

namespace StreamingPipeline.Protocol.Tests;

/// <summary>Decodes bytes captured from a real client (librdkafka through Confluent.Kafka), not bytes we wrote ourselves.</summary>
public class CapturedClientBytesTests
{
    [Fact]
    public async Task TheFirstRequestOfARealClientDecodesAsAFlexibleApiVersionsRequest()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var admin = new AdminClientBuilder(new AdminClientConfig
        {
            BootstrapServers = $"127.0.0.1:{port}",
            ClientId = "capture-test",
        }).Build();
        // The metadata call makes the client connect; it fails later because nobody answers, which is fine here.
        var metadataCall = Task.Run(() =>
        {
            try { admin.GetMetadata(TimeSpan.FromSeconds(5)); } catch (KafkaException) { }
        });

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var socket = await listener.AcceptSocketAsync(cts.Token);
        var sizeBytes = new byte[4];
        await ReadExactlyAsync(socket, sizeBytes, cts.Token);
        var frame = new byte[BinaryPrimitives.ReadInt32BigEndian(sizeBytes)];
        await ReadExactlyAsync(socket, frame, cts.Token);
        socket.Close();

        var reader = new ProtocolReader(frame);
        var apiKey = (ApiKey)reader.ReadInt16();
        var apiVersion = reader.ReadInt16();
        reader.Position = 0;
        var header = RequestHeader.Read(reader, ApiMessages.RequestHeaderVersion(apiKey, apiVersion));
        var request = ApiVersionsRequest.Read(reader, apiVersion);

        Assert.Equal(ApiKey.ApiVersions, apiKey);
        Assert.True(apiVersion >= 3, $"librdkafka opens with ApiVersions v3+, got v{apiVersion}");
        Assert.Equal("capture-test", header.ClientId);
        Assert.Equal("confluent-kafka-dotnet", request.ClientSoftwareName);
        Assert.False(string.IsNullOrEmpty(request.ClientSoftwareVersion));
        Assert.Equal(0, reader.Remaining);
        await metadataCall;
    }

    private static async Task ReadExactlyAsync(Socket socket, byte[] buffer, CancellationToken ct)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(read), ct);
            Assert.True(n > 0, "client closed the connection early");
            read += n;
        }
    }
}
