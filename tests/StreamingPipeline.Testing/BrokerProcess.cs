namespace StreamingPipeline.Testing;

/// <summary>`pipeline broker` as its own process on a loopback port, ready for clients: for crash tests and benchmarks.</summary>
public sealed class BrokerProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private BrokerProcess(ChildProcess process, int port)
    {
        Process = process;
        Port = port;
    }

    /// <summary>The process, to kill, pause or resume.</summary>
    public ChildProcess Process { get; }

    public int Port { get; }

    public string BootstrapServers => $"127.0.0.1:{Port}";

    /// <summary>
    /// Starts the broker on <paramref name="dataDirectory"/> and <paramref name="port"/> (a free one if not given; pass the
    /// old one to restart a broker where clients expect it), with <paramref name="arguments"/> added to its command line,
    /// and returns once it accepts connections.
    /// </summary>
    public static async Task<BrokerProcess> StartAsync(string dataDirectory, int? port = null, params string[] arguments)
    {
        var listenPort = port ?? LoopbackPort.Free();
        var process = ChildProcess.StartPipeline(["broker", "--data-dir", dataDirectory, "--listen", $"127.0.0.1:{listenPort}", "-v", "quiet", .. arguments]);
        try
        {
            await process.WaitForPortAsync(listenPort, StartTimeout);
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
        return new BrokerProcess(process, listenPort);
    }

    /// <summary>SIGKILL: what the broker acknowledged must survive this.</summary>
    public Task KillAsync() => Process.KillAsync();

    public ValueTask DisposeAsync() => Process.DisposeAsync();
}
