using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace StreamingPipeline.Cli.Options;

/// <summary>
/// One line per message, <c>HH:mm:ss.fff level category: message</c>: the simple console formatter without the numeric
/// event id (<c>GroupCoordinator[620217110]</c>), which means nothing to a reader. Exception stack traces only at debug.
/// </summary>
internal sealed class PlainConsoleFormatter : ConsoleFormatter
{
    /// <summary>The name the logger builder selects this formatter by.</summary>
    public const string FormatterName = "plain";

    private readonly PlainConsoleFormatterOptions _options;

    public PlainConsoleFormatter(IOptions<PlainConsoleFormatterOptions> options)
        : base(FormatterName) => _options = options.Value;

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter(logEntry.State, logEntry.Exception);
        if (string.IsNullOrEmpty(message) && logEntry.Exception is null)
        {
            return;
        }
        var category = logEntry.Category;
        var lastDot = category.LastIndexOf('.');
        textWriter.Write(DateTime.Now.ToString("HH:mm:ss.fff ", System.Globalization.CultureInfo.InvariantCulture));
        textWriter.Write(Level(logEntry.LogLevel));
        textWriter.Write(' ');
        textWriter.Write(lastDot >= 0 && !category.StartsWith("pipeline", StringComparison.Ordinal) ? category[(lastDot + 1)..] : category);
        textWriter.Write(": ");
        textWriter.Write(message.ReplaceLineEndings(" "));
        if (logEntry.Exception is { } exception)
        {
            textWriter.Write(" (");
            textWriter.Write(_options.IncludeStackTraces ? exception.ToString() : $"{exception.GetType().Name}: {exception.Message}".ReplaceLineEndings(" "));
            textWriter.Write(')');
        }
        textWriter.WriteLine();
    }

    private static string Level(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        LogLevel.Critical => "crit",
        _ => "none",
    };
}

/// <summary>Options of <see cref="PlainConsoleFormatter"/>.</summary>
internal sealed class PlainConsoleFormatterOptions : ConsoleFormatterOptions
{
    /// <summary>Whether a logged exception is printed with its stack trace (verbosity debug) or as one line.</summary>
    public bool IncludeStackTraces { get; set; }
}
