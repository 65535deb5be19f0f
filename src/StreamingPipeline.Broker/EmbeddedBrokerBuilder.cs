using Microsoft.Extensions.Logging;

namespace StreamingPipeline.Broker;

/// <summary>Configures and starts an <see cref="EmbeddedBroker"/>, the way Testcontainers' Kafka module is used, without Docker.</summary>
public sealed class EmbeddedBrokerBuilder
{
    private readonly List<(string Name, int Partitions, IReadOnlyDictionary<string, string> Configs)> _topics = [];
    private BrokerOptions? _options;
    private string? _dataDirectory;
    private int _port;
    private ILoggerFactory? _loggers;
    private TimeProvider _time = TimeProvider.System;

    /// <summary>Listens on <paramref name="port"/> instead of a random free port.</summary>
    public EmbeddedBrokerBuilder WithPort(int port)
    {
        _port = port;
        return this;
    }

    /// <summary>Keeps data in <paramref name="path"/> (kept after dispose) instead of a temporary directory (deleted).</summary>
    public EmbeddedBrokerBuilder WithDataDirectory(string path)
    {
        _dataDirectory = path;
        return this;
    }

    /// <summary>Creates <paramref name="name"/> before <see cref="StartAsync"/> returns, unless it exists already.</summary>
    public EmbeddedBrokerBuilder WithTopic(string name, int partitions = 1, IReadOnlyDictionary<string, string>? configs = null)
    {
        _topics.Add((name, partitions, configs ?? new Dictionary<string, string>()));
        return this;
    }

    /// <summary>Adjusts any other broker option (defaults, limits, auto-creation...).</summary>
    public EmbeddedBrokerBuilder WithOptions(Func<BrokerOptions, BrokerOptions> configure)
    {
        _options = configure(_options ?? new BrokerOptions { DataDirectory = "", Port = 0 });
        return this;
    }

    /// <summary>Logs through <paramref name="loggers"/> (nothing is logged by default).</summary>
    public EmbeddedBrokerBuilder WithLoggerFactory(ILoggerFactory loggers)
    {
        _loggers = loggers;
        return this;
    }

    /// <summary>Uses <paramref name="time"/> for timeouts and timestamps (tests can pass a fake clock).</summary>
    public EmbeddedBrokerBuilder WithTimeProvider(TimeProvider time)
    {
        _time = time;
        return this;
    }

    /// <summary>Starts the broker; the listed topics exist and clients can connect when this returns.</summary>
    public async Task<EmbeddedBroker> StartAsync(CancellationToken cancellationToken = default)
    {
        var ownsDirectory = _dataDirectory is null && string.IsNullOrEmpty(_options?.DataDirectory);
        var directory = _dataDirectory
            ?? (string.IsNullOrEmpty(_options?.DataDirectory) ? Directory.CreateTempSubdirectory("embedded-broker-").FullName : _options.DataDirectory);
        var options = (_options ?? new BrokerOptions { DataDirectory = directory }) with { DataDirectory = directory };
        if (_port != 0 || _options is null)
        {
            options = options with { Port = _port };
        }
        return await EmbeddedBroker.StartAsync(options, _topics, ownsDirectory, _loggers, _time, cancellationToken);
    }
}
