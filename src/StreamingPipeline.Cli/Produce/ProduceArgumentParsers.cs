using System.CommandLine.Parsing;
using System.Globalization;
using StreamingPipeline.Cli.Options;
using StreamingPipeline.Events.Generation;

namespace StreamingPipeline.Cli.Produce;

/// <summary>Parsers for the values only <c>pipeline produce</c> takes: delay ranges, event-time starts, optional durations.</summary>
public static class ProduceArgumentParsers
{
    /// <summary>Parses <c>30s</c> (fixed) or <c>1s..30h</c> (log-uniform range).</summary>
    public static bool TryParseDelay(string text, out DuplicateDelay delay, out string? error)
    {
        delay = DuplicateDelay.Default;
        var parts = text.Split("..", 2, StringSplitOptions.TrimEntries);
        if (!Durations.TryParse(parts[0], out var min, out error))
        {
            return false;
        }
        var max = min;
        if (parts.Length == 2 && !Durations.TryParse(parts[1], out max, out error))
        {
            return false;
        }
        var candidate = new DuplicateDelay(min, max);
        error = candidate.Validate();
        if (error is not null)
        {
            return false;
        }
        delay = candidate;
        return true;
    }

    /// <summary>Parses <c>now</c>, epoch milliseconds, or an ISO 8601 instant (UTC unless an offset is given).</summary>
    public static bool TryParseEventTimeStart(string text, DateTimeOffset now, out long epochMs, out string? error)
    {
        error = null;
        if (text.Equals("now", StringComparison.OrdinalIgnoreCase))
        {
            // Whole seconds, so a stream started "now" has round timestamps that are easy to read.
            epochMs = now.ToUnixTimeSeconds() * 1000;
            return true;
        }
        if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out epochMs))
        {
            return true;
        }
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var instant))
        {
            epochMs = instant.ToUnixTimeMilliseconds();
            return true;
        }
        error = $"'{text}' is not an event-time start; use now, epoch milliseconds or an ISO 8601 time such as 2025-11-24T00:00:00Z.";
        return false;
    }

    /// <summary>A System.CommandLine parser for an optional duration.</summary>
    public static TimeSpan? ParseOptionalDuration(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (Durations.TryParse(text, out var duration, out var error))
        {
            return duration;
        }
        result.AddError(error!);
        return null;
    }

    /// <summary>A System.CommandLine parser for a duplicate delay.</summary>
    public static DuplicateDelay ParseDelay(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (TryParseDelay(text, out var delay, out var error))
        {
            return delay;
        }
        result.AddError($"--duplicate-delay: {error} (e.g. 30s, or a range such as 1s..30h)");
        return DuplicateDelay.Default;
    }
}
