using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace StreamingPipeline.Broker.Network;

/// <summary>Accepts TCP connections and serves each on its own task until the listener is disposed.</summary>
internal sealed partial class KafkaListener : IAsyncDisposable
{
    private readonly Socket _socket;
    private RequestDispatcher? _dispatcher;
    private readonly int _maxRequestBytes;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<Task, bool> _connections = new();
    private Task? _acceptLoop;

    /// <summary>Binds and listens at once, so the port is known before the handlers are built.</summary>
    public KafkaListener(IPEndPoint endPoint, int maxRequestBytes, ILogger logger)
    {
        _maxRequestBytes = maxRequestBytes;
        _logger = logger;
        _socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        _socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _socket.Bind(endPoint);
        _socket.Listen(512);
        EndPoint = (IPEndPoint)_socket.LocalEndPoint!;
    }

    /// <summary>The bound address (with the real port when 0 was asked for).</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>Starts accepting connections and serving them with <paramref name="dispatcher"/>.</summary>
    public void Start(RequestDispatcher dispatcher)
    {
        _dispatcher = dispatcher;
        _acceptLoop = AcceptLoopAsync(_stopping.Token);
    }

    private async Task AcceptLoopAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _socket.AcceptAsync(ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (SocketException ex)
            {
                LogAcceptFailed(ex.Message);
                continue;
            }
            var task = ServeAsync(client, ct);
            _connections[task] = true;
            _ = task.ContinueWith(t => _connections.TryRemove(t, out _), TaskScheduler.Default);
        }
    }

    private async Task ServeAsync(Socket client, CancellationToken ct)
    {
        await Task.Yield();
        await using var connection = new KafkaConnection(client, _dispatcher!, _maxRequestBytes, _logger);
        await connection.RunAsync(ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _socket.Dispose();
        if (_acceptLoop is not null)
        {
            await _acceptLoop;
        }
        await Task.WhenAll(_connections.Keys);
        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Accept failed: {Reason}")]
    private partial void LogAcceptFailed(string reason);
}
