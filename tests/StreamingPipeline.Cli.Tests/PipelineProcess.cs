using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace StreamingPipeline.Cli.Tests;

/// <summary>Runs the real <c>pipeline</c> executable (pipeline.dll next to the tests) as a child process.</summary>
internal sealed class PipelineProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly StringBuilder _error = new();

    private PipelineProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => { lock (_output) { _output.AppendLine(e.Data); } };
        _process.ErrorDataReceived += (_, e) => { lock (_error) { _error.AppendLine(e.Data); } };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Output { get { lock (_output) { return _output.ToString(); } } }
    public string Error { get { lock (_error) { return _error.ToString(); } } }
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;
    public int ProcessId => _process.Id;

    /// <summary>Waits for the process to exit on its own.</summary>
    public async Task WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
    }

    public static PipelineProcess Start(params string[] args) => StartIn(null, args);

    /// <summary>Starts pipeline with <paramref name="workingDirectory"/> as its current directory (null: this process's).</summary>
    public static PipelineProcess StartIn(string? workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory ?? "",
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "pipeline.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        return new PipelineProcess(Process.Start(start) ?? throw new InvalidOperationException("pipeline did not start"));
    }

    /// <summary>Runs to completion and returns the exit code.</summary>
    public static Task<(int ExitCode, string Output, string Error)> RunAsync(TimeSpan timeout, params string[] args) => RunInAsync(null, timeout, args);

    /// <summary>Runs to completion in <paramref name="workingDirectory"/> and returns the exit code.</summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunInAsync(string? workingDirectory, TimeSpan timeout, params string[] args)
    {
        await using var process = StartIn(workingDirectory, args);
        using var cts = new CancellationTokenSource(timeout);
        await process._process.WaitForExitAsync(cts.Token);
        process._process.WaitForExit(); // drains the redirected streams (no timeout needed: the process has exited)
        return (process.ExitCode, process.Output, process.Error);
    }

    /// <summary>SIGKILL: no chance to flush or clean up, like a crash.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(cts.Token);
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Waits until something accepts connections on <paramref name="port"/>.</summary>
    public async Task WaitForPortAsync(int port, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"pipeline exited with {_process.ExitCode}: {Error}");
            }
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            await KillAsync();
        }
        _process.Dispose();
    }
}
