using System.Buffers.Binary;
using System.Net.Sockets;
using StreamingPipeline.Protocol;
using StreamingPipeline.Protocol.Messages;

namespace StreamingPipeline.Broker.Tests.Integration.Transactions;

/// <summary>
/// A bare Kafka client on one TCP connection: frames generated request messages with a request header, and reads the
/// response at the same version. For requests no real client can be made to send (a sequence gap, a repeated batch).
/// </summary>
internal sealed class RawKafkaClient : IDisposable
{
    private readonly TcpClient _client;
    private readonly NetworkStream _stream;
    private int _correlationId;

    private RawKafkaClient(TcpClient client)
    {
        _client = client;
        _stream = client.GetStream();
    }

    public static async Task<RawKafkaClient> ConnectAsync(int port)
    {
        var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port);
        return new RawKafkaClient(client);
    }

    public async Task<TResponse> SendAsync<TRequest, TResponse>(TRequest request, short version)
        where TRequest : IApiMessage<TRequest>
        where TResponse : IApiMessage<TResponse>
    {
        var correlationId = ++_correlationId;
        var frame = await RoundTripAsync(TRequest.ApiKey, version, TRequest.IsFlexible(version), writer => request.Write(writer, version), correlationId);
        var reader = new ProtocolReader(frame);
        var header = ResponseHeader.Read(reader, TResponse.IsFlexible(version) ? (short)1 : (short)0);
        Assert.Equal(correlationId, header.CorrelationId);
        return TResponse.Read(reader, version);
    }

    /// <summary>Sends a request whose body the caller wrote by hand and returns the response frame after the correlation id.</summary>
    public async Task<byte[]> SendRawAsync(ApiKey apiKey, short version, byte[] body)
    {
        var correlationId = ++_correlationId;
        var frame = await RoundTripAsync(apiKey, version, flexible: false, writer => writer.WriteRaw(body), correlationId);
        Assert.Equal(correlationId, BinaryPrimitives.ReadInt32BigEndian(frame));
        return frame[4..];
    }

    public void Dispose() => _client.Dispose();

    private async Task<byte[]> RoundTripAsync(ApiKey apiKey, short version, bool flexible, Action<ProtocolWriter> writeBody, int correlationId)
    {
        using var writer = new ProtocolWriter();
        writer.WriteInt32(0);
        new RequestHeader
        {
            RequestApiKey = (short)apiKey,
            RequestApiVersion = version,
            CorrelationId = correlationId,
            ClientId = "raw-test-client",
        }.Write(writer, flexible ? (short)2 : (short)1);
        writeBody(writer);
        writer.PatchInt32(0, writer.Position - 4);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _stream.WriteAsync(writer.WrittenMemory, timeout.Token);
        var size = new byte[4];
        await _stream.ReadExactlyAsync(size, timeout.Token);
        var frame = new byte[BinaryPrimitives.ReadInt32BigEndian(size)];
        await _stream.ReadExactlyAsync(frame, timeout.Token);
        return frame;
    }
}
