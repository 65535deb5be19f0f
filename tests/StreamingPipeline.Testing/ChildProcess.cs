using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace StreamingPipeline.Testing;

/// <summary>
/// A child process for end-to-end and fault tests: its output captured, and crashed (SIGKILL), paused (SIGSTOP),
/// resumed (SIGCONT) or interrupted (SIGINT) when the test says. Disposing it kills it if it still runs.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    /// <summary>The `pipeline` command's assembly; it lies next to the tests of a project that references StreamingPipeline.Cli.</summary>
    public const string PipelineAssembly = "pipeline.dll";

    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(30);

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly StringBuilder _error = new();

    private ChildProcess(Process process, string name)
    {
        _process = process;
        Name = name;
        _process.OutputDataReceived += (_, e) => Append(_output, e.Data);
        _process.ErrorDataReceived += (_, e) => Append(_error, e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>What the test calls this process in its messages.</summary>
    public string Name { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Everything the process wrote to standard output so far.</summary>
    public string Output => Read(_output);

    /// <summary>Everything the process wrote to standard error so far.</summary>
    public string Error => Read(_error);

    /// <summary>The lines of standard output so far, for progress parsing.</summary>
    public IReadOnlyList<string> OutputLines => Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Both streams under the process's name, for failure messages.</summary>
    public string Transcript => $"--- {Name} stdout\n{Output}--- {Name} stderr\n{Error}";

    /// <summary>CPU time the process has used so far.</summary>
    public TimeSpan TotalProcessorTime
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    /// <summary>The process's resident set size now.</summary>
    public long WorkingSetBytes
    {
        get
        {
            _process.Refresh();
            return _process.WorkingSet64;
        }
    }

    /// <summary>
    /// Starts <paramref name="fileName"/> with <paramref name="arguments"/>, its standard streams redirected, in
    /// <paramref name="workingDirectory"/> (null: this process's).
    /// </summary>
    public static ChildProcess Start(string fileName, IEnumerable<string> arguments, string? name = null, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory ?? "",
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        name ??= Path.GetFileNameWithoutExtension(fileName);
        return new ChildProcess(Process.Start(start) ?? throw new InvalidOperationException($"{name} did not start"), name);
    }

    /// <summary>Runs <paramref name="assemblyFileName"/>, an executable project's dll copied next to the tests, with `dotnet`.</summary>
    public static ChildProcess StartAssembly(string assemblyFileName, IEnumerable<string> arguments, string? name = null, string? workingDirectory = null) =>
        Start("dotnet", [Path.Combine(AppContext.BaseDirectory, assemblyFileName), .. arguments], name ?? Path.GetFileNameWithoutExtension(assemblyFileName), workingDirectory);

    /// <summary>Runs the real `pipeline` command (<see cref="PipelineAssembly"/>).</summary>
    public static ChildProcess StartPipeline(params string[] arguments) => StartAssembly(PipelineAssembly, arguments, "pipeline");

    /// <summary>Runs `pipeline` to completion and returns how it ended.</summary>
    public static Task<ProcessResult> RunPipelineAsync(TimeSpan timeout, params string[] arguments) =>
        RunPipelineInAsync(null, timeout, arguments);

    /// <summary>Runs `pipeline` to completion in <paramref name="workingDirectory"/> (null: this process's) and returns how it ended.</summary>
    public static async Task<ProcessResult> RunPipelineInAsync(string? workingDirectory, TimeSpan timeout, params string[] arguments)
    {
        await using var process = StartAssembly(PipelineAssembly, arguments, "pipeline", workingDirectory);
        var exitCode = await process.WaitForExitAsync(timeout);
        return new ProcessResult(exitCode, process.Output, process.Error);
    }

    /// <summary>Waits for the process to exit on its own, with all its output read, and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            throw new TimeoutException($"{Name} did not exit within {timeout}.\n{Transcript}");
        }
        // Once exited, this returns when the redirected streams are drained.
        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>Waits until something accepts connections on loopback <paramref name="port"/>; fails at once if the process exits.</summary>
    public async Task WaitForPortAsync(int port, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with {_process.ExitCode} before listening on {port}.\n{Transcript}");
            }
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"{Name} did not listen on {port} within {timeout}.\n{Transcript}");
                }
                await Task.Delay(50);
            }
        }
    }

    /// <summary>SIGKILL, like a crash: no chance to flush or clean up. Returns once the process is gone.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        using var cancel = new CancellationTokenSource(ExitTimeout);
        await _process.WaitForExitAsync(cancel.Token);
    }

    /// <summary>SIGSTOP: the process is frozen (a long GC pause, a stalled VM) until <see cref="ResumeAsync"/>.</summary>
    public Task PauseAsync() => SignalAsync("STOP");

    /// <summary>SIGCONT: a paused process runs on.</summary>
    public Task ResumeAsync() => SignalAsync("CONT");

    /// <summary>SIGINT, as Ctrl+C sends: the process should stop cleanly; wait with <see cref="WaitForExitAsync"/>.</summary>
    public Task InterruptAsync() => SignalAsync("INT");

    /// <summary>
    /// SIGTERM, as a service manager stops a process: the same clean stop as Ctrl+C, but one that a harness started from
    /// a non-interactive shell's background job can still deliver (such a job inherits SIGINT as ignored, and so do its children).
    /// </summary>
    public Task TerminateAsync() => SignalAsync("TERM");

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }

    /// <summary>Signals through the `kill` command, which knows the platform's signal numbers.</summary>
    private async Task SignalAsync(string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", [$"-{signal}", Id.ToString(CultureInfo.InvariantCulture)])
        {
            RedirectStandardError = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException("kill did not start");
        var error = await kill.StandardError.ReadToEndAsync();
        await kill.WaitForExitAsync();
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -{signal} {Name} ({Id}) failed: {error.Trim()}");
        }
    }

    private static void Append(StringBuilder target, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (target)
        {
            target.AppendLine(line);
        }
    }

    private static string Read(StringBuilder source)
    {
        lock (source)
        {
            return source.ToString();
        }
    }
}
