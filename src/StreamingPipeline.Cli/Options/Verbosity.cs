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

    /// <summary><c>-q/--quiet</c>: the same as <c>--verbosity quiet</c> (warnings and errors only), and no live display.</summary>
    public static Option<bool> CreateQuiet(string description = "Only warnings and errors (same as --verbosity quiet)") =>
        new("--quiet", "-q") { Description = description };

    /// <summary>A console logger factory at the level <paramref name="verbosity"/> names (quiet when <paramref name="quiet"/>); one line per message.</summary>
    public static ILoggerFactory CreateLoggerFactory(string verbosity, bool quiet = false)
    {
        var level = LevelOf(verbosity, quiet);
        return LoggerFactory.Create(builder => builder
            .SetMinimumLevel(level)
            // ASP.NET Core logs every HTTP request at Information (the console polls each second); its lines belong to -v debug.
            .AddFilter("Microsoft", level <= LogLevel.Debug ? level : LogLevel.Warning)
            .AddConsole(o => o.FormatterName = PlainConsoleFormatter.FormatterName)
            .AddConsoleFormatter<PlainConsoleFormatter, PlainConsoleFormatterOptions>(o => o.IncludeStackTraces = level <= LogLevel.Debug));
    }

    /// <summary>The lowest level logged at <paramref name="verbosity"/>, or at quiet when <paramref name="quiet"/>.</summary>
    public static LogLevel LevelOf(string verbosity, bool quiet = false)
    {
        TryGetLevel(quiet ? "quiet" : verbosity, out var level);
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
