using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace StreamingPipeline.Broker.Tests.Integration.Transactions;

/// <summary>
/// A TCP proxy in front of a broker that, when armed, lets the next Produce request through and then drops the
/// connection instead of delivering its response: the batch is stored but the client never learns it, so it retries
/// — the "lost acknowledgement" that idempotence exists for. It listens on 127.0.0.2 at the broker's port, so a broker
/// listening on 127.0.0.1 and advertising 127.0.0.2 sends every client through it.
/// </summary>
internal sealed class AckDroppingProxy : IAsyncDisposable
{
    public const string Host = "127.0.0.2";
    private const short ProduceApiKey = 0;

    private readonly TcpListener _listener;
    private readonly int _brokerPort;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _connections = [];
    private readonly Task _accepting;
    private int _armed;
    private int _droppedResponses;
    private int _produceRequests;

    public AckDroppingProxy(int brokerPort)
    {
        _brokerPort = brokerPort;
        _listener = new TcpListener(IPAddress.Parse(Host), brokerPort);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int DroppedResponses => Volatile.Read(ref _droppedResponses);

    public int ProduceRequests => Volatile.Read(ref _produceRequests);

    /// <summary>The response to the next Produce request will be swallowed and its connection cut.</summary>
    public void DropNextProduceResponse() => Volatile.Write(ref _armed, 1);

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        Task[] connections;
        lock (_connections)
        {
            connections = [.. _connections];
        }
        await Task.WhenAll([_accepting, .. connections]).ContinueWith(_ => { }, TaskScheduler.Default);
        _stopping.Dispose();
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (!_stopping.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(_stopping.Token);
                lock (_connections)
                {
                    _connections.Add(RelayAsync(client));
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopping.
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        using var _ = client;
        using var broker = new TcpClient();
        using var cut = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        try
        {
            await broker.ConnectAsync(IPAddress.Loopback, _brokerPort, cut.Token);
            var doomed = new HashSet<int>();
            var toBroker = PumpAsync(client.GetStream(), broker.GetStream(), frame =>
            {
                var apiKey = BinaryPrimitives.ReadInt16BigEndian(frame);
                if (apiKey == ProduceApiKey)
                {
                    Interlocked.Increment(ref _produceRequests);
                    if (Interlocked.Exchange(ref _armed, 0) == 1)
                    {
                        lock (doomed)
                        {
                            doomed.Add(BinaryPrimitives.ReadInt32BigEndian(frame[4..]));
                        }
                    }
                }
                return true;
            }, cut.Token);
            var toClient = PumpAsync(broker.GetStream(), client.GetStream(), frame =>
            {
                lock (doomed)
                {
                    if (!doomed.Contains(BinaryPrimitives.ReadInt32BigEndian(frame)))
                    {
                        return true;
                    }
                }
                Interlocked.Increment(ref _droppedResponses);
                return false;
            }, cut.Token);
            await Task.WhenAny(toBroker, toClient);
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or IOException)
        {
            // Either side went away.
        }
        finally
        {
            await cut.CancelAsync();
        }
    }

    /// <summary>Copies length-prefixed frames until <paramref name="forward"/> says no or a side closes.</summary>
    private static async Task PumpAsync(NetworkStream from, NetworkStream to, Func<byte[], bool> forward, CancellationToken cancellationToken)
    {
        var size = new byte[4];
        try
        {
            while (true)
            {
                await from.ReadExactlyAsync(size, cancellationToken);
                var frame = new byte[BinaryPrimitives.ReadInt32BigEndian(size)];
                await from.ReadExactlyAsync(frame, cancellationToken);
                if (!forward(frame))
                {
                    return;
                }
                await to.WriteAsync(size, cancellationToken);
                await to.WriteAsync(frame, cancellationToken);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or EndOfStreamException or ObjectDisposedException)
        {
            // Closed.
        }
    }
}
