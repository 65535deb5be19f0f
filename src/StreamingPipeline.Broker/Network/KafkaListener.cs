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
    private readonly BrokerMetrics _metrics;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<Task, bool> _connections = new();
    private Task? _acceptLoop;

    /// <summary>Binds and listens at once, so the port is known before the handlers are built.</summary>
    /// <exception cref="BrokerStartException">Something else listens on <paramref name="endPoint"/> already, or the address is not usable.</exception>
    public KafkaListener(IPEndPoint endPoint, int maxRequestBytes, BrokerMetrics metrics, ILogger logger)
    {
        _metrics = metrics;
        _maxRequestBytes = maxRequestBytes;
        _logger = logger;
        _socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            AllowRebindWhileOldConnectionsLinger(_socket);
            _socket.Bind(endPoint);
            _socket.Listen(512);
        }
        catch (SocketException ex)
        {
            _socket.Dispose();
            throw ex.SocketErrorCode switch
            {
                SocketError.AddressAlreadyInUse => new BrokerStartException($"{endPoint} is already in use (another broker or program listens there); stop it or pick another port.", ex),
                SocketError.AddressNotAvailable => new BrokerStartException($"cannot listen on {endPoint}: the address does not belong to this machine.", ex),
                SocketError.AccessDenied => new BrokerStartException($"cannot listen on {endPoint}: permission denied (ports below 1024 need privileges).", ex),
                _ => new BrokerStartException($"cannot listen on {endPoint}: {ex.Message}", ex),
            };
        }
        EndPoint = (IPEndPoint)_socket.LocalEndPoint!;
    }

    /// <summary>
    /// Sets SO_REUSEADDR alone, so a restarted broker can bind while connections of the previous one sit in TIME_WAIT.
    /// .NET's <see cref="SocketOptionName.ReuseAddress"/> also sets SO_REUSEPORT on Linux and macOS, which lets a second
    /// broker listen on the same port and split the clients between two data directories; so the raw option is used.
    /// Windows keeps its default, which already refuses a second listener.
    /// </summary>
    private static void AllowRebindWhileOldConnectionsLinger(Socket socket)
    {
        if (OperatingSystem.IsLinux())
        {
            socket.SetRawSocketOption(1 /* SOL_SOCKET */, 2 /* SO_REUSEADDR */, BitConverter.GetBytes(1));
        }
        else if (OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD())
        {
            socket.SetRawSocketOption(0xffff /* SOL_SOCKET */, 0x4 /* SO_REUSEADDR */, BitConverter.GetBytes(1));
        }
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
        _metrics.ConnectionOpened();
        try
        {
            await using var connection = new KafkaConnection(client, _dispatcher!, _maxRequestBytes, _metrics, _logger);
            await connection.RunAsync(ct);
        }
        finally
        {
            _metrics.ConnectionClosed();
        }
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
