using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace StreamingPipeline.Testing;

/// <summary>
/// A real PostgreSQL server for one test (class): <c>initdb</c> and <c>pg_ctl</c> from the Debian package on a free
/// loopback port, in a temporary directory, trust authentication for user <c>postgres</c>. Root may not run the server,
/// so as root the binaries run as user <c>postgres</c> (through <c>runuser</c>) in a directory that user owns. Stopped
/// (immediately) and deleted on dispose. <c>./test</c> installs the package when the binaries are missing.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    /// <summary>Where Debian's postgresql packages put the server binaries; the newest version found is used.</summary>
    public const string BinariesRoot = "/usr/lib/postgresql";

    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(120);

    private readonly TempDirectory _directory;
    private readonly string _bin;
    private bool _stopped;

    private PostgresServer(TempDirectory directory, string bin, int port)
    {
        _directory = directory;
        _bin = bin;
        Port = port;
    }

    /// <summary>The loopback port the server listens on.</summary>
    public int Port { get; }

    /// <summary>The data directory (its log is <c>../postgres.log</c>), for failure messages.</summary>
    public string DataDirectory => _directory.Combine("data");

    /// <summary>An Npgsql connection string for <paramref name="database"/> (default <c>postgres</c>, which always exists).</summary>
    public string ConnectionString(string database = "postgres") =>
        string.Create(CultureInfo.InvariantCulture, $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Pooling=true");

    /// <summary>A <c>postgres://</c> URL for <paramref name="database"/>, as a command line takes it.</summary>
    public string Url(string database = "postgres") => string.Create(CultureInfo.InvariantCulture, $"postgres://postgres@127.0.0.1:{Port}/{database}");

    /// <summary>Creates the empty database <paramref name="name"/> (a plain identifier) and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string name, CancellationToken cancellationToken = default)
    {
        await using var connection = new NpgsqlConnection(ConnectionString());
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = $"CREATE DATABASE {name}";
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return ConnectionString(name);
    }

    /// <summary>
    /// Initializes a cluster and starts it, returning once it accepts connections. <paramref name="durable"/> false (the
    /// default) turns fsync off: the tests crash clients, not the server, and a test's server is thrown away.
    /// </summary>
    public static async Task<PostgresServer> StartAsync(bool durable = false, CancellationToken cancellationToken = default)
    {
        var bin = FindBinaries() ?? throw new InvalidOperationException(
            $"PostgreSQL server binaries not found under {BinariesRoot}/*/bin; install the 'postgresql' package (./test does).");
        var directory = new TempDirectory("streaming-pipeline-postgres-");
        try
        {
            if (RunsAsRoot)
            {
                // initdb refuses root; the server's user must own its directory (and reach it: temp dirs are 0700).
                await RunAsync("chown", ["postgres", directory.Path], cancellationToken);
            }
            await RunServerToolAsync(bin, "initdb", ["-D", directory.Combine("data"), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"], cancellationToken);
            var port = LoopbackPort.Free();
            var settings = $"-p {port} -k {directory.Path} -c listen_addresses=127.0.0.1 -c max_connections=50" + (durable ? "" : " -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
            await RunServerToolAsync(bin, "pg_ctl", ["-D", directory.Combine("data"), "-o", settings, "-l", directory.Combine("postgres.log"), "-w", "-t", "60", "start"], cancellationToken);
            return new PostgresServer(directory, bin, port);
        }
        catch
        {
            directory.Dispose();
            throw;
        }
    }

    /// <summary>True when the PostgreSQL server binaries are installed.</summary>
    public static bool IsInstalled => FindBinaries() is not null;

    /// <summary>The server's log so far, for failure messages.</summary>
    public string Log()
    {
        try
        {
            return File.ReadAllText(_directory.Combine("postgres.log"));
        }
        catch (IOException ex)
        {
            return $"(no log: {ex.Message})";
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            try
            {
                await RunServerToolAsync(_bin, "pg_ctl", ["-D", DataDirectory, "-m", "immediate", "-w", "-t", "30", "stop"], CancellationToken.None);
            }
            catch (InvalidOperationException)
            {
                // Already stopped (or never fully started); the directory goes either way.
            }
        }
        _directory.Dispose();
    }

    private static bool RunsAsRoot => Environment.UserName == "root";

    private static string? FindBinaries()
    {
        if (!Directory.Exists(BinariesRoot))
        {
            return null;
        }
        return Directory.GetDirectories(BinariesRoot)
            .Select(dir => Path.Combine(dir, "bin"))
            .Where(bin => File.Exists(Path.Combine(bin, "initdb")) && File.Exists(Path.Combine(bin, "pg_ctl")))
            .OrderByDescending(bin => int.TryParse(Path.GetFileName(Path.GetDirectoryName(bin)), out var version) ? version : 0)
            .FirstOrDefault();
    }

    private static Task RunServerToolAsync(string bin, string tool, IEnumerable<string> arguments, CancellationToken cancellationToken) =>
        RunsAsRoot
            ? RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(bin, tool), .. arguments], cancellationToken)
            : RunAsync(Path.Combine(bin, tool), arguments, cancellationToken);

    private static async Task RunAsync(string fileName, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            // pg_ctl's server inherits the working directory; root's may be unreadable for user postgres.
            WorkingDirectory = "/",
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{fileName} did not start");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(CommandTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"{Path.GetFileName(fileName)} {string.Join(' ', start.ArgumentList)} exited with {process.ExitCode}: {(await error).Trim()} {(await output).Trim()}");
        }
    }
}
