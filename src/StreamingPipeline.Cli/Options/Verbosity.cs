using System.CommandLine;
using Microsoft.Extensions.Logging;

namespace StreamingPipeline.Cli.Options;

/// <summary><c>-v/--verbosity</c> and the console logger it configures.</summary>
public static class Verbosity
{
    /// <summary>Creates the option: quiet, normal, detailed or debug.</summary>
    public static Option<string> Create() => new("--verbosity", "-v")
    {
        Description = "Log detail: quiet, normal, detailed or debug",
        DefaultValueFactory = _ => "normal",
        Validators =
        {
            r =>
            {
                var value = r.Tokens.Count > 0 ? r.Tokens[0].Value : "normal";
                if (!TryGetLevel(value, out _))
                {
                    r.AddError($"--verbosity must be quiet, normal, detailed or debug, not '{value}'.");
                }
            },
        },
    };

    /// <summary>A console logger factory at the level <paramref name="verbosity"/> names; one line per message.</summary>
    public static ILoggerFactory CreateLoggerFactory(string verbosity)
    {
        TryGetLevel(verbosity, out var level);
        return LoggerFactory.Create(builder => builder
            .SetMinimumLevel(level)
            .AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss.fff ";
            }));
    }

    /// <summary>The lowest level logged at <paramref name="verbosity"/>.</summary>
    public static LogLevel LevelOf(string verbosity)
    {
        TryGetLevel(verbosity, out var level);
        return level;
    }

    private static bool TryGetLevel(string verbosity, out LogLevel level)
    {
        (var known, level) = verbosity switch
        {
            "quiet" or "q" => (true, LogLevel.Warning),
            "normal" or "n" => (true, LogLevel.Information),
            "detailed" or "d" => (true, LogLevel.Debug),
            "debug" or "diag" => (true, LogLevel.Trace),
            _ => (false, LogLevel.Information),
        };
        return known;
    }
}
