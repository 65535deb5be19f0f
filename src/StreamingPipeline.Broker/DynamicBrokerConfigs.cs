using System.Globalization;
using System.Text.Json;
using StreamingPipeline.Broker.Log;
using StreamingPipeline.Broker.Log.Cleaner;
using StreamingPipeline.Protocol;
using StreamingPipeline.Storage;

namespace StreamingPipeline.Broker;

/// <summary>
/// The broker configs changed at runtime (Kafka's dynamic broker configs): the <c>log.*</c> defaults topics inherit
/// (and <c>message.max.bytes</c>, <c>compression.type</c>, the other topic-config synonyms) and the cleaner's
/// <c>log.cleaner.io.max.bytes.per.second</c>, <c>log.cleaner.backoff.ms</c> and <c>log.cleaner.dedupe.buffer.size</c>.
/// Two layers as in Kafka: this broker's (the BROKER resource named by its id; DYNAMIC_BROKER_CONFIG) over the
/// cluster-wide default (the BROKER resource named ""; DYNAMIC_DEFAULT_BROKER_CONFIG), both over the static options.
/// A change is stored in <c>&lt;data-dir&gt;/dynamic-broker-configs</c> (replaced atomically and fsynced) before it
/// applies, and the file is loaded at start, so changes survive a restart.
/// </summary>
/// <remarks>Threading: changes are serialised by a lock; <see cref="Current"/> and the layers are immutable snapshots.</remarks>
internal sealed class DynamicBrokerConfigs
{
    /// <summary>The file's name in the data directory.</summary>
    public const string FileName = "dynamic-broker-configs";

    /// <summary>Kafka's <c>log.cleaner.io.max.bytes.per.second</c>.</summary>
    public const string CleanerIoRateName = "log.cleaner.io.max.bytes.per.second";

    /// <summary>Kafka's <c>log.cleaner.backoff.ms</c>.</summary>
    public const string CleanerBackoffName = "log.cleaner.backoff.ms";

    /// <summary>Kafka's <c>log.cleaner.dedupe.buffer.size</c>.</summary>
    public const string CleanerDedupeBufferName = "log.cleaner.dedupe.buffer.size";

    private const short FileVersion = 0;

    private static readonly Dictionary<string, string> Empty = new(StringComparer.Ordinal);

    private readonly BrokerOptions _options;
    private readonly string _path;
    private readonly Lock _gate = new();
    private Layers _layers;

    private DynamicBrokerConfigs(BrokerOptions options, string path, Layers layers, Settings settings)
    {
        _options = options;
        _path = path;
        _layers = layers;
        Current = settings;
    }

    /// <summary>The names this broker lets change at runtime (a subset of Kafka's dynamic broker configs).</summary>
    public static IReadOnlySet<string> Names { get; } = new HashSet<string>(
        [.. LogConfig.Names.Select(TopicConfigCatalog.BrokerName), CleanerIoRateName, CleanerBackoffName, CleanerDedupeBufferName],
        StringComparer.Ordinal);

    /// <summary>The settings in effect: the static options with both layers applied.</summary>
    public Settings Current { get; private set; }

    /// <summary>Called after each applied change, with the new settings (the broker wires the log manager and cleaner here).</summary>
    public Action<Settings>? Applied { get; set; }

    /// <summary>This broker's layer (<paramref name="perBroker"/>) or the cluster-wide default layer, by config name.</summary>
    public IReadOnlyDictionary<string, string> Layer(bool perBroker)
    {
        var layers = Volatile.Read(ref _layers);
        return perBroker ? layers.Broker : layers.Default;
    }

    /// <summary>
    /// Loads the stored changes of the broker whose options are <paramref name="options"/>; none when the file does
    /// not exist. <see cref="InvalidDataException"/> when the file is damaged or holds a value that no longer applies.
    /// </summary>
    public static DynamicBrokerConfigs Load(BrokerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var path = Path.Combine(options.DataDirectory, FileName);
        var layers = new Layers(Empty, Empty);
        if (AtomicFile.ReadRecord(PhysicalFileSystem.Instance, path) is { } record)
        {
            if (record.Version != FileVersion)
            {
                throw new InvalidDataException($"{path} has version {record.Version}; this broker reads {FileVersion}.");
            }
            var stored = JsonSerializer.Deserialize<Dictionary<string, Dictionary<string, string>>>(record.Payload.Span)
                ?? throw new InvalidDataException($"{path} is empty.");
            layers = new Layers(
                new Dictionary<string, string>(stored.GetValueOrDefault("broker") ?? Empty, StringComparer.Ordinal),
                new Dictionary<string, string>(stored.GetValueOrDefault("default") ?? Empty, StringComparer.Ordinal));
        }
        var (settings, error) = Derive(options, layers);
        if (settings is null)
        {
            throw new InvalidDataException($"{path} holds a config that does not apply: {error}");
        }
        return new DynamicBrokerConfigs(options, path, layers, settings);
    }

    /// <summary>
    /// INVALID_REQUEST unless every name in <paramref name="names"/> may change at runtime, with Kafka's message
    /// (Kafka answers INVALID_REQUEST for a read-only broker config, KAFKA-13609).
    /// </summary>
    public static (ErrorCode Error, string? Message) CheckNames(IEnumerable<string> names)
    {
        var refused = names.Where(n => !Names.Contains(n)).ToList();
        return refused.Count == 0
            ? (ErrorCode.None, null)
            : (ErrorCode.InvalidRequest, $"Cannot update these configs dynamically: Set({string.Join(", ", refused)})");
    }

    /// <summary>
    /// Makes <paramref name="layer"/> this broker's layer (<paramref name="perBroker"/>) or the default layer: checks
    /// every value (INVALID_REQUEST, as Kafka answers a broker config that fails validation), stores both layers
    /// durably, then applies the new settings. Nothing changes when <paramref name="validateOnly"/>.
    /// </summary>
    public (ErrorCode Error, string? Message) Replace(bool perBroker, IReadOnlyDictionary<string, string> layer, bool validateOnly)
    {
        ArgumentNullException.ThrowIfNull(layer);
        var named = CheckNames(layer.Keys);
        if (named.Error != ErrorCode.None)
        {
            return named;
        }
        Settings settings;
        lock (_gate)
        {
            var copy = new Dictionary<string, string>(layer, StringComparer.Ordinal);
            var layers = perBroker ? _layers with { Broker = copy } : _layers with { Default = copy };
            var (derived, error) = Derive(_options, layers);
            if (derived is null)
            {
                return (ErrorCode.InvalidRequest, error);
            }
            if (validateOnly)
            {
                return (ErrorCode.None, null);
            }
            try
            {
                var payload = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, IReadOnlyDictionary<string, string>>
                {
                    ["broker"] = layers.Broker,
                    ["default"] = layers.Default,
                });
                AtomicFile.WriteRecord(PhysicalFileSystem.Instance, _path, FileVersion, payload);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return (ErrorCode.KafkaStorageError, $"Storing the dynamic broker configs failed: {ex.Message}");
            }
            Volatile.Write(ref _layers, layers);
            Current = derived;
            settings = derived;
            Applied?.Invoke(settings);
        }
        return (ErrorCode.None, null);
    }

    /// <summary>The static options with the default layer and then this broker's layer applied, or why a value does not apply.</summary>
    private static (Settings? Settings, string? Error) Derive(BrokerOptions options, Layers layers)
    {
        var logDefaults = options.LogDefaults;
        var ioRate = options.LogCleanerIoMaxBytesPerSecond;
        var backoff = options.LogCleanerBackoff;
        var dedupe = options.LogCleanerDedupeBufferSize;
        foreach (var layer in (ReadOnlySpan<IReadOnlyDictionary<string, string>>)[layers.Default, layers.Broker])
        {
            var topicConfigs = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (name, value) in layer)
            {
                switch (name)
                {
                    case CleanerIoRateName:
                        if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out ioRate) || !(ioRate > 0))
                        {
                            return (null, $"Invalid value {value} for configuration {name}: must be a positive number.");
                        }
                        // Kafka writes "no limit" as Double.MaxValue.
                        ioRate = ioRate >= double.MaxValue ? double.PositiveInfinity : ioRate;
                        break;
                    case CleanerBackoffName:
                        if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var backoffMs))
                        {
                            return (null, $"Invalid value {value} for configuration {name}: must be a number of milliseconds, at least 0.");
                        }
                        backoff = TimeSpan.FromMilliseconds(backoffMs);
                        break;
                    case CleanerDedupeBufferName:
                        if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out dedupe) || dedupe < OffsetMap.BytesPerEntry * 16L)
                        {
                            return (null, $"Invalid value {value} for configuration {name}: must be at least {OffsetMap.BytesPerEntry * 16} bytes.");
                        }
                        break;
                    default:
                        var topicName = TopicConfigCatalog.TopicName(name) ?? (LogConfig.Names.Contains(name) ? name : null);
                        if (topicName is null)
                        {
                            return (null, $"Cannot update these configs dynamically: Set({name})");
                        }
                        topicConfigs[topicName] = value;
                        break;
                }
            }
            if (!LogConfig.TryApply(logDefaults, topicConfigs, out logDefaults, out var error))
            {
                return (null, error);
            }
        }
        return (new Settings(logDefaults, ioRate, backoff, dedupe), null);
    }

    /// <summary>The settings dynamic configs govern, as in effect.</summary>
    /// <param name="LogDefaults">The defaults topics inherit.</param>
    /// <param name="CleanerIoMaxBytesPerSecond">The cleaner's I/O rate; infinity for none.</param>
    /// <param name="CleanerBackoff">How long an idle cleaner sleeps.</param>
    /// <param name="CleanerDedupeBufferBytes">The cleaner's offset map size.</param>
    internal sealed record Settings(LogConfig LogDefaults, double CleanerIoMaxBytesPerSecond, TimeSpan CleanerBackoff, long CleanerDedupeBufferBytes);

    private sealed record Layers(IReadOnlyDictionary<string, string> Broker, IReadOnlyDictionary<string, string> Default);
}
