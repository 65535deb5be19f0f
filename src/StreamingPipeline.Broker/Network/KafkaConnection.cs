using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using StreamingPipeline.Broker.Apis;
using StreamingPipeline.Protocol;
using StreamingPipeline.Protocol.Messages;

namespace StreamingPipeline.Broker.Network;

/// <summary>
/// One client connection. Requests are served one at a time, in order, as Kafka does (it mutes a connection while a
/// request is in flight), so responses need no reordering. A malformed or oversized frame closes only this connection.
/// </summary>
internal sealed partial class KafkaConnection : IAsyncDisposable
{
    private const int SizePrefixBytes = 4;

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly PipeReader _input;
    private readonly RequestDispatcher _dispatcher;
    private readonly int _maxRequestBytes;
    private readonly ILogger _logger;
    private readonly BrokerMetrics _metrics;
    // Records of at least this size (fetch responses) go to the socket straight from the read buffers, not through
    // _responseWriter: copying megabytes per fetch, and growing a per-connection buffer to hold them, cost more than a
    // gather write.
    private const int ReferenceRecordsFrom = 8 * 1024;

    private readonly ProtocolWriter _responseWriter = new(64 * 1024, ReferenceRecordsFrom);
    private readonly List<ArraySegment<byte>> _sendSegments = [];
    private byte[] _frame = ArrayPool<byte>.Shared.Rent(64 * 1024);

    public KafkaConnection(Socket socket, RequestDispatcher dispatcher, int maxRequestBytes, BrokerMetrics metrics, ILogger logger)
    {
        _metrics = metrics;
        _socket = socket;
        _socket.NoDelay = true;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _input = PipeReader.Create(_stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024));
        _dispatcher = dispatcher;
        _maxRequestBytes = maxRequestBytes;
        _logger = logger;
    }

    /// <summary>Serves requests until the client disconnects, sends something malformed, or <paramref name="ct"/> fires.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var length = await ReadFrameAsync(ct);
                if (length < 0)
                {
                    return;
                }
                if (!await ServeAsync(length, ct))
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            LogConnectionLost(_socket.RemoteEndPoint, ex.Message);
        }
    }

    /// <summary>Reads one size-prefixed frame into <see cref="_frame"/>; returns its length, or -1 when the connection must close.</summary>
    private async ValueTask<int> ReadFrameAsync(CancellationToken ct)
    {
        while (true)
        {
            var result = await _input.ReadAsync(ct);
            var buffer = result.Buffer;
            if (buffer.Length >= SizePrefixBytes)
            {
                var size = ReadSizePrefix(buffer);
                // Checked before anything is allocated, so a bogus 1 GiB length costs nothing.
                if (size < 8 || size > _maxRequestBytes)
                {
                    LogBadFrame(_socket.RemoteEndPoint, size);
                    return -1;
                }
                if (buffer.Length >= SizePrefixBytes + size)
                {
                    if (_frame.Length < size)
                    {
                        ArrayPool<byte>.Shared.Return(_frame);
                        _frame = ArrayPool<byte>.Shared.Rent(size);
                    }
                    buffer.Slice(SizePrefixBytes, size).CopyTo(_frame);
                    _input.AdvanceTo(buffer.GetPosition(SizePrefixBytes + size));
                    return size;
                }
            }
            if (result.IsCompleted)
            {
                return -1;
            }
            _input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static int ReadSizePrefix(ReadOnlySequence<byte> buffer)
    {
        Span<byte> prefix = stackalloc byte[SizePrefixBytes];
        buffer.Slice(0, SizePrefixBytes).CopyTo(prefix);
        return BinaryPrimitives.ReadInt32BigEndian(prefix);
    }

    /// <summary>Decodes and serves one request; false means the connection must close.</summary>
    private async ValueTask<bool> ServeAsync(int length, CancellationToken ct)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        _metrics.AddBytesIn(length + SizePrefixBytes);
        var reader = new ProtocolReader(_frame.AsMemory(0, length));
        var apiKey = (ApiKey)reader.ReadInt16();
        var apiVersion = reader.ReadInt16();
        var handler = _dispatcher.Find(apiKey);
        var supported = handler is not null && apiVersion >= handler.MinVersion && apiVersion <= handler.MaxVersion;
        RequestContext context;
        try
        {
            reader.Position = 0;
            var headerVersion = supported || ApiMessages.SpecVersions(apiKey) is { } range && apiVersion >= range.Lowest && apiVersion <= range.Highest
                ? ApiMessages.RequestHeaderVersion(apiKey, apiVersion)
                : (short)1;
            var header = RequestHeader.Read(reader, headerVersion);
            context = new RequestContext(apiKey, apiVersion, header.CorrelationId, header.ClientId, _socket.RemoteEndPoint);
        }
        catch (ProtocolException ex)
        {
            LogMalformed(_socket.RemoteEndPoint, apiKey, apiVersion, ex.Message);
            return false;
        }

        if (!supported)
        {
            if (apiKey == ApiKey.ApiVersions)
            {
                // KIP-511: answer an unknown ApiVersions version with v0 and the list, so the client can downgrade.
                await WriteResponseAsync(context, 0, _dispatcher.UnsupportedApiVersionsResponse(), ct);
                return true;
            }
            LogUnsupported(_socket.RemoteEndPoint, apiKey, apiVersion);
            return false;
        }

        IKafkaMessage? response;
        try
        {
            response = await handler!.HandleAsync(context, reader, ct);
        }
        catch (ProtocolException ex)
        {
            LogMalformed(_socket.RemoteEndPoint, apiKey, apiVersion, ex.Message);
            context.ReleaseResponseResources();
            return false;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogHandlerFailed(ex, apiKey, apiVersion);
            context.ReleaseResponseResources();
            return false;
        }
        try
        {
            if (response is not null)
            {
                await WriteResponseAsync(context, apiVersion, response, ct);
            }
        }
        finally
        {
            context.ReleaseResponseResources();
        }
        // Counted once answered; a request that closes the connection (malformed, unsupported) is not.
        _metrics.RequestServed(apiKey, response is null ? (short)0 : ResponseErrors.Of(response), System.Diagnostics.Stopwatch.GetElapsedTime(started));
        return true;
    }

    private async ValueTask WriteResponseAsync(RequestContext context, short version, IKafkaMessage response, CancellationToken ct)
    {
        var writer = _responseWriter;
        writer.Reset();
        writer.WriteInt32(0);
        var header = new ResponseHeader { CorrelationId = context.CorrelationId };
        header.Write(writer, ApiMessages.ResponseHeaderVersion(context.ApiKey, version));
        response.Write(writer, version);
        writer.PatchInt32(0, writer.Position - SizePrefixBytes);
        _metrics.AddBytesOut(writer.Position);
        if (!writer.HasReferences)
        {
            await _stream.WriteAsync(writer.WrittenMemory, ct);
            return;
        }
        _sendSegments.Clear();
        writer.AddSegmentsTo(_sendSegments);
        try
        {
            await SendAllAsync(_sendSegments, ct);
        }
        finally
        {
            _sendSegments.Clear();
        }
    }

    /// <summary>Sends every byte of <paramref name="segments"/> with gather writes, consuming the list.</summary>
    private async ValueTask SendAllAsync(List<ArraySegment<byte>> segments, CancellationToken ct)
    {
        // The list overload takes no token; closing the socket is what ends a send blocked on a stalled client, and the
        // buffers stay rented until the send has really finished.
        await using var closeOnCancel = ct.UnsafeRegister(static socket => ((Socket)socket!).Dispose(), _socket);
        while (segments.Count > 0)
        {
            var sent = await _socket.SendAsync(segments, SocketFlags.None);
            if (sent <= 0)
            {
                throw new IOException("The socket accepted no bytes.");
            }
            // Stream sockets normally take everything; drop what a short write did take and send the rest.
            var done = 0;
            while (done < segments.Count && sent >= segments[done].Count)
            {
                sent -= segments[done].Count;
                done++;
            }
            segments.RemoveRange(0, done);
            if (sent > 0)
            {
                segments[0] = segments[0][sent..];
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _input.CompleteAsync();
        await _stream.DisposeAsync();
        _responseWriter.Dispose();
        ArrayPool<byte>.Shared.Return(_frame);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Connection from {Remote} lost: {Reason}")]
    private partial void LogConnectionLost(System.Net.EndPoint? remote, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Closing connection from {Remote}: frame size {Size} is outside [8, max request bytes]")]
    private partial void LogBadFrame(System.Net.EndPoint? remote, int size);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Closing connection from {Remote}: malformed {ApiKey} v{Version} request: {Reason}")]
    private partial void LogMalformed(System.Net.EndPoint? remote, ApiKey apiKey, short version, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Closing connection from {Remote}: unsupported API {ApiKey} v{Version}")]
    private partial void LogUnsupported(System.Net.EndPoint? remote, ApiKey apiKey, short version);

    [LoggerMessage(Level = LogLevel.Error, Message = "Handler for {ApiKey} v{Version} failed; closing the connection")]
    private partial void LogHandlerFailed(Exception ex, ApiKey apiKey, short version);
}
