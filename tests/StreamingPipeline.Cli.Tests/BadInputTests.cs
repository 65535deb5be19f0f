using System.Net;
using System.Net.Sockets;
using Confluent.Kafka;
using StreamingPipeline.Broker;

namespace StreamingPipeline.Cli.Tests;

/// <summary>
/// Every command meets bad input the way a newcomer types it: the exit code is the documented one, stderr is exactly
/// one line naming the problem, there is no stack trace, and nothing is created on disk or in the broker.
/// </summary>
public sealed class BadInputTests(BadInputTests.Setting setting) : IClassFixture<BadInputTests.Setting>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    // Placeholders: {dir} an empty scratch directory, {file} a regular file in it, {busy} a port something else
    // listens on, {dead} a port nothing listens on, {broker} a running broker that auto-creates topics,
    // {locked} a data directory another broker has open.
    public static TheoryData<int, string, string[]> Cases => new()
    {
        { ExitCodes.Usage, "--rate", ["produce", "--rate", "abc"] },
        { ExitCodes.Usage, "--rate", ["produce", "--rate", "-5"] },
        { ExitCodes.Usage, "--count", ["produce", "--count", "ten"] },
        { ExitCodes.Usage, "--count", ["produce", "--count", "-1"] },
        { ExitCodes.Usage, "--duplicates", ["produce", "--duplicates", "2"] },
        { ExitCodes.Usage, "forever", ["produce", "--duration", "forever"] },
        { ExitCodes.Usage, "pareto", ["produce", "--distribution", "pareto"] },
        { ExitCodes.Usage, "--seed", ["produce", "--seed", "1.5"] },
        { ExitCodes.Usage, "foo", ["produce", "-b", "{broker}", "--config", "foo=bar", "-n", "10", "-q"] },
        { ExitCodes.Usage, "--config", ["produce", "--config", "novalue"] },
        { ExitCodes.Usage, "--partitions", ["up", "--data-dir", "{dir}/up", "--partitions", "x"] },
        { ExitCodes.Usage, "--partitions", ["up", "--data-dir", "{dir}/up", "--partitions", "0"] },
        { ExitCodes.Usage, "--rate", ["up", "--data-dir", "{dir}/up", "--rate", "-1"] },
        { ExitCodes.Usage, "--listen", ["up", "--data-dir", "{dir}/up", "--listen", "127.0.0.1:70000"] },
        { ExitCodes.Usage, "--duplicates must be a share in [0, 1)", ["up", "--data-dir", "{dir}/up", "--duplicates", "1"] },
        { ExitCodes.Usage, "--verbosity", ["up", "--data-dir", "{dir}/up", "-v", "loud"] },
        { ExitCodes.Usage, "--listen", ["broker", "--data-dir", "{dir}/b", "--listen", "nonsense"] },
        { ExitCodes.Usage, "--partitions", ["broker", "--data-dir", "{dir}/b", "--partitions", "-3"] },
        { ExitCodes.Usage, "--flush", ["broker", "--data-dir", "{dir}/b", "--flush", "sometimes"] },
        { ExitCodes.Usage, "forever", ["broker", "--data-dir", "{dir}/b", "--retention", "forever"] },
        { ExitCodes.Usage, "lots", ["broker", "--data-dir", "{dir}/b", "--segment-bytes", "lots"] },
        { ExitCodes.Usage, "maybe", ["broker", "--data-dir", "{dir}/b", "--auto-create-topics", "maybe"] },
        { ExitCodes.Usage, "--log-cleaner-io-rate", ["broker", "--data-dir", "{dir}/b", "--log-cleaner-io-rate", "fast"] },
        { ExitCodes.Usage, "--topic", ["topics", "create", "-b", "{broker}"] },
        { ExitCodes.Usage, "--partitions", ["topics", "create", "-b", "{broker}", "-t", "new-topic", "-p", "-1"] },
        { ExitCodes.Usage, "xml", ["topics", "list", "-b", "{broker}", "-o", "xml"] },
        { ExitCodes.Usage, "no-such-command", ["no-such-command"] },
        { ExitCodes.Failure, "is a file", ["broker", "--data-dir", "{file}", "--listen", "127.0.0.1:0"] },
        { ExitCodes.Failure, "is a file", ["broker", "--data-dir", "{file}/below", "--listen", "127.0.0.1:0"] },
        { ExitCodes.Failure, "is a file", ["up", "--data-dir", "{file}", "--listen", "127.0.0.1:0", "--rate", "0"] },
        { ExitCodes.Failure, "in use by another broker", ["broker", "--data-dir", "{locked}", "--listen", "127.0.0.1:0"] },
        { ExitCodes.Failure, "127.0.0.1:{busy} is already in use", ["broker", "--data-dir", "{dir}/b", "--listen", "127.0.0.1:{busy}"] },
        { ExitCodes.Failure, "127.0.0.1:{busy} is already in use", ["up", "--data-dir", "{dir}/up", "--listen", "127.0.0.1:{busy}", "--rate", "0"] },
        { ExitCodes.Failure, "127.0.0.1:{dead}", ["topics", "list", "-b", "127.0.0.1:{dead}"] },
        { ExitCodes.Failure, "127.0.0.1:{dead}", ["topics", "describe", "-b", "127.0.0.1:{dead}", "-t", "x"] },
        { ExitCodes.Failure, "127.0.0.1:{dead}", ["topics", "create", "-b", "127.0.0.1:{dead}", "-t", "x"] },
        { ExitCodes.Failure, "127.0.0.1:{dead}", ["topics", "delete", "-b", "127.0.0.1:{dead}", "-t", "x"] },
        { ExitCodes.Failure, "127.0.0.1:{dead}", ["produce", "-b", "127.0.0.1:{dead}", "-n", "10", "-q"] },
        { ExitCodes.Failure, "typo-topic does not exist", ["topics", "describe", "-b", "{broker}", "-t", "typo-topic"] },
        { ExitCodes.Failure, "typo-topic", ["topics", "delete", "-b", "{broker}", "-t", "typo-topic"] },
        { ExitCodes.Usage, "--config", ["topics", "alter", "-b", "{broker}", "-t", "existing"] },
        { ExitCodes.Usage, "retention.ms", ["topics", "alter", "-b", "{broker}", "-t", "existing", "--config", "retention.ms=1", "--delete-config", "retention.ms"] },
        { ExitCodes.Usage, "--partitions", ["topics", "add-partitions", "-b", "{broker}", "-t", "existing", "-p", "0"] },
        { ExitCodes.Usage, "--partitions", ["topics", "add-partitions", "-b", "{broker}", "-t", "existing"] },
        { ExitCodes.Failure, "no.such.config", ["topics", "alter", "-b", "{broker}", "-t", "existing", "--config", "no.such.config=1"] },
        { ExitCodes.Failure, "soon", ["topics", "alter", "-b", "{broker}", "-t", "existing", "--config", "retention.ms=soon"] },
        { ExitCodes.Failure, "typo-topic", ["topics", "alter", "-b", "{broker}", "-t", "typo-topic", "--config", "retention.ms=1000"] },
        { ExitCodes.Failure, "higher than the requested 1", ["topics", "add-partitions", "-b", "{broker}", "-t", "existing", "-p", "1"] },
        { ExitCodes.Failure, "typo-topic", ["topics", "add-partitions", "-b", "{broker}", "-t", "typo-topic", "-p", "4"] },
        { ExitCodes.Failure, "127.0.0.1:{dead}", ["topics", "alter", "-b", "127.0.0.1:{dead}", "-t", "x", "--config", "retention.ms=1"] },
        { ExitCodes.Failure, "typo-topic does not exist", ["consume", "-b", "{broker}", "-t", "typo-topic", "-e"] },
        { ExitCodes.Failure, "has no partition 5", ["consume", "-b", "{broker}", "-t", "existing", "-p", "5", "-e"] },
        { ExitCodes.Failure, "127.0.0.1:{dead}", ["consume", "-b", "127.0.0.1:{dead}", "-t", "x"] },
        { ExitCodes.Usage, "--topic", ["consume", "-b", "{broker}"] },
        { ExitCodes.Usage, "--offset", ["consume", "-b", "{broker}", "-t", "existing", "--offset", "-1"] },
        { ExitCodes.Usage, "--offset", ["consume", "-b", "{broker}", "-t", "existing", "--offset", "ten"] },
        { ExitCodes.Usage, "--from-time", ["consume", "-b", "{broker}", "-t", "existing", "--from-time", "yesterday"] },
        { ExitCodes.Usage, "--isolation-level", ["consume", "-b", "{broker}", "-t", "existing", "--isolation-level", "serializable"] },
        { ExitCodes.Usage, "--count", ["consume", "-b", "{broker}", "-t", "existing", "-n", "0"] },
        { ExitCodes.Usage, "xml", ["consume", "-b", "{broker}", "-t", "existing", "-o", "xml"] },
        { ExitCodes.Usage, "--from-beginning and --offset", ["consume", "-b", "{broker}", "-t", "existing", "--from-beginning", "--offset", "3"] },
        { ExitCodes.Failure, "consumer group nobody does not exist", ["groups", "describe", "-b", "{broker}", "-g", "nobody"] },
        { ExitCodes.Failure, "127.0.0.1:{dead}", ["groups", "list", "-b", "127.0.0.1:{dead}"] },
        { ExitCodes.Usage, "--group", ["groups", "describe", "-b", "{broker}"] },
        { ExitCodes.Usage, "--to-earliest", ["groups", "reset-offsets", "-b", "{broker}", "-g", "g", "-t", "existing"] },
        { ExitCodes.Usage, "--to-earliest and --to-latest", ["groups", "reset-offsets", "-b", "{broker}", "-g", "g", "-t", "existing", "--to-earliest", "--to-latest"] },
        { ExitCodes.Usage, "--to-datetime", ["groups", "reset-offsets", "-b", "{broker}", "-g", "g", "-t", "existing", "--to-datetime", "soon"] },
        { ExitCodes.Usage, "--to-offset", ["groups", "reset-offsets", "-b", "{broker}", "-g", "g", "-t", "existing", "--to-offset", "-3"] },
        { ExitCodes.Failure, "typo-topic does not exist", ["groups", "reset-offsets", "-b", "{broker}", "-g", "g", "-t", "typo-topic", "--to-latest", "--execute"] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task BadInputGetsOneLineAndTheDocumentedExitCodeAndChangesNothing(int exitCode, string named, string[] args)
    {
        var topicsBefore = setting.BrokerTopics();
        var filesBefore = setting.ScratchEntries();

        var run = await ChildProcess.RunPipelineInAsync(setting.WorkingDirectory, Timeout, [.. args.Select(setting.Fill)]);

        var errorLines = run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(errorLines.Length == 1, $"expected one line on stderr, got:\n{run.Error}");
        Assert.StartsWith("error: ", errorLines[0], StringComparison.Ordinal);
        Assert.Contains(setting.Fill(named), errorLines[0], StringComparison.Ordinal);
        Assert.DoesNotContain("System.", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.Output + run.Error, StringComparison.Ordinal);
        Assert.Equal(exitCode, run.ExitCode);
        Assert.Equal(filesBefore, setting.ScratchEntries());
        Assert.Equal(topicsBefore, setting.BrokerTopics());
    }

    /// <summary>What the cases run against; shared by all of them and cleaned up at the end.</summary>
    public sealed class Setting : IAsyncLifetime
    {
        private readonly string _root = Directory.CreateTempSubdirectory("bad-input-").FullName;
        private readonly TcpListener _busy = new(IPAddress.Loopback, 0);
        private EmbeddedBroker? _broker;
        private EmbeddedBroker? _lockHolder;
        private int _deadPort;

        /// <summary>The directory the commands run in, where a default ./data would appear.</summary>
        public string WorkingDirectory => Path.Combine(_root, "scratch");

        public async Task InitializeAsync()
        {
            Directory.CreateDirectory(WorkingDirectory);
            await File.WriteAllTextAsync(Path.Combine(WorkingDirectory, "a-file"), "not a directory");
            _busy.Start();
            _deadPort = LoopbackPort.Free();
            _broker = await EmbeddedBroker.CreateBuilder()
                .WithTopic("existing", 2)
                .WithOptions(o => o with { AutoCreateTopics = true })
                .StartAsync();
            _lockHolder = await EmbeddedBroker.CreateBuilder().WithDataDirectory(Path.Combine(_root, "locked")).StartAsync();
        }

        /// <summary>Replaces the placeholders in <paramref name="text"/>.</summary>
        public string Fill(string text) => text
            .Replace("{dir}", WorkingDirectory, StringComparison.Ordinal)
            .Replace("{file}", Path.Combine(WorkingDirectory, "a-file"), StringComparison.Ordinal)
            .Replace("{busy}", ((IPEndPoint)_busy.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{dead}", _deadPort.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{broker}", _broker!.BootstrapServers, StringComparison.Ordinal)
            .Replace("{locked}", Path.Combine(_root, "locked"), StringComparison.Ordinal);

        /// <summary>Every file and directory under the scratch directory.</summary>
        public string ScratchEntries() => string.Join('\n', Directory
            .EnumerateFileSystemEntries(WorkingDirectory, "*", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal));

        /// <summary>The topics the shared broker has, read without creating any.</summary>
        public string BrokerTopics()
        {
            using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = _broker!.BootstrapServers, AllowAutoCreateTopics = false }).Build();
            var metadata = admin.GetMetadata(TimeSpan.FromSeconds(30));
            return string.Join(',', metadata.Topics.Select(t => t.Topic).Order(StringComparer.Ordinal));
        }

        public async Task DisposeAsync()
        {
            _busy.Dispose();
            if (_broker is not null)
            {
                await _broker.DisposeAsync();
            }
            if (_lockHolder is not null)
            {
                await _lockHolder.DisposeAsync();
            }
            Directory.Delete(_root, recursive: true);
        }
    }
}
