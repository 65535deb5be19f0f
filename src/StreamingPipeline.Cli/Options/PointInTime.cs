using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace StreamingPipeline.Cli.Options;

/// <summary>A point in time given on the command line: ISO 8601 (<c>2026-01-02T03:04:05Z</c>; UTC when no offset is given) or milliseconds since the Unix epoch.</summary>
public static class PointInTime
{
    /// <summary>An option whose value is milliseconds since the Unix epoch.</summary>
    public static Option<long?> Option(string name, string description) => new(name)
    {
        Description = $"{description}: ISO 8601 (2026-01-02T03:04:05Z, UTC unless an offset is given) or milliseconds since the epoch",
        HelpName = "time",
        CustomParser = Parse,
    };

    /// <summary>Parses <paramref name="text"/> into milliseconds since the Unix epoch.</summary>
    public static bool TryParse(string text, out long unixMs)
    {
        if (text.Length > 0 && text.All(char.IsAsciiDigit) && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out unixMs))
        {
            return true;
        }
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
        {
            unixMs = time.ToUnixTimeMilliseconds();
            return true;
        }
        unixMs = 0;
        return false;
    }

    private static long? Parse(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (TryParse(text, out var unixMs))
        {
            return unixMs;
        }
        var name = result.Parent is OptionResult option ? option.Option.Name : result.Argument.Name;
        result.AddError($"{name} expects a time such as 2026-01-02T03:04:05Z or milliseconds since the epoch, got '{text}'.");
        return null;
    }
}
