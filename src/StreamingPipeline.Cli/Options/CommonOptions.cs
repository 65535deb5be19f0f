using System.CommandLine;
using System.CommandLine.Parsing;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;

namespace StreamingPipeline.Cli.Options;

/// <summary>Options shared by many commands, spelled the same everywhere (kafka-topics.sh and kcat conventions).</summary>
public static class CommonOptions
{
    /// <summary>The default bootstrap address: the embedded broker's default listener.</summary>
    public const string DefaultBootstrapServers = "127.0.0.1:9092";

    /// <summary><c>-b/--bootstrap-servers</c> (also <c>--bootstrap-server</c>): where the Kafka cluster is.</summary>
    public static Option<string> BootstrapServers() => new("--bootstrap-servers", "-b", "--bootstrap-server")
    {
        Description = "Kafka bootstrap servers, host:port[,host:port...]",
        DefaultValueFactory = _ => DefaultBootstrapServers,
    };

    /// <summary><c>-t/--topic</c>.</summary>
    public static Option<string> Topic(string description, string? defaultValue = null) => new("--topic", "-t")
    {
        Description = description,
        Required = defaultValue is null,
        DefaultValueFactory = defaultValue is null ? null : _ => defaultValue,
    };

    /// <summary><c>--listen host:port</c>: where a server of this process listens (loopback by default).</summary>
    public static Option<IPEndPoint> Listen(string description, string defaultValue = DefaultBootstrapServers) => new("--listen")
    {
        Description = $"{description}: host:port with a numeric IP host or localhost",
        CustomParser = ParseEndPoint,
        DefaultValueFactory = _ => TryParseEndPoint(defaultValue, out var endPoint) ? endPoint : throw new ArgumentException(defaultValue),
    };

    /// <summary>A share option (<c>--duplicates 0.05</c>): a number in [0, 1).</summary>
    public static Option<double> Share(string name, string description, double defaultValue = 0) => new(name)
    {
        Description = $"{description}, in [0, 1)",
        DefaultValueFactory = _ => defaultValue,
        Validators =
        {
            r =>
            {
                if (r.GetValueOrDefault<double>() is not (>= 0 and < 1))
                {
                    r.AddError($"{r.Option.Name} must be a share in [0, 1)");
                }
            },
        },
    };

    /// <summary>A duration option (<c>24h</c>, <c>30m</c>, <c>500ms</c>) with a default.</summary>
    public static Option<WrittenValue<TimeSpan>> Duration(string name, string description, string defaultValue) => new(name)
    {
        Description = $"{description} (e.g. 500ms, 30m, 24h)",
        CustomParser = ParseDuration,
        DefaultValueFactory = _ => Durations.TryParse(defaultValue, out var d, out var _) ? new(d, defaultValue) : throw new ArgumentException(defaultValue),
    };

    /// <summary>A byte-size option (<c>64MiB</c>) with a default.</summary>
    public static Option<WrittenValue<long>> Size(string name, string description, string defaultValue) => new(name)
    {
        Description = $"{description} (e.g. 64MiB)",
        CustomParser = ParseSize,
        DefaultValueFactory = _ => Sizes.TryParse(defaultValue, out var s, out var _) ? new(s, defaultValue) : throw new ArgumentException(defaultValue),
    };

    /// <summary><c>--config key=value</c>, repeatable.</summary>
    public static Option<string[]> Config(string description) => new("--config")
    {
        Description = $"{description} (key=value, repeatable)",
        AllowMultipleArgumentsPerToken = false,
        Arity = ArgumentArity.ZeroOrMore,
        Validators = { ValidateKeyValues },
    };

    /// <summary>Turns validated <c>key=value</c> pairs into a dictionary (later pairs win).</summary>
    public static Dictionary<string, string> ToDictionary(IEnumerable<string>? pairs)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in pairs ?? [])
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            result[pair[..eq].Trim()] = pair[(eq + 1)..].Trim();
        }
        return result;
    }

    private static IPEndPoint ParseEndPoint(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (TryParseEndPoint(text, out var endPoint))
        {
            return endPoint;
        }
        result.AddError($"--listen expects host:port with a numeric IP host, got '{text}'.");
        return new IPEndPoint(IPAddress.Loopback, 0);
    }

    private static bool TryParseEndPoint(string text, [NotNullWhen(true)] out IPEndPoint? endPoint)
    {
        endPoint = null;
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
        {
            return false;
        }
        var host = text[..colon];
        if (host == "localhost")
        {
            host = "127.0.0.1";
        }
        if (!IPAddress.TryParse(host.Trim('[', ']'), out var address))
        {
            return false;
        }
        endPoint = new IPEndPoint(address, port);
        return true;
    }

    private static WrittenValue<TimeSpan> ParseDuration(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (Durations.TryParse(text, out var duration, out var error))
        {
            return new(duration, text);
        }
        result.AddError(error!);
        return default;
    }

    private static WrittenValue<long> ParseSize(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (Sizes.TryParse(text, out var bytes, out var error))
        {
            return new(bytes, text);
        }
        result.AddError(error!);
        return default;
    }

    private static void ValidateKeyValues(OptionResult result)
    {
        foreach (var token in result.Tokens)
        {
            var eq = token.Value.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                result.AddError($"--config expects key=value, got '{token.Value}'.");
            }
        }
    }
}
