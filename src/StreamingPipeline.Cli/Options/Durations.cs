using System.Globalization;

namespace StreamingPipeline.Cli.Options;

/// <summary>Parses durations written the way operators write them: <c>24h</c>, <c>30m</c>, <c>500ms</c>, <c>1d</c>, <c>10s</c>.</summary>
public static class Durations
{
    private static readonly (string Suffix, double Milliseconds)[] Units =
    [
        ("ms", 1), ("s", 1_000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000),
    ];

    /// <summary>Parses <paramref name="text"/>; returns false with a reason when it is not a non-negative duration.</summary>
    public static bool TryParse(string text, out TimeSpan duration, out string? error)
    {
        duration = default;
        var trimmed = text.Trim();
        // Longest suffix first so "ms" wins over "s" and "m".
        foreach (var (suffix, ms) in Units.OrderByDescending(u => u.Suffix.Length))
        {
            if (!trimmed.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            var number = trimmed[..^suffix.Length];
            if (double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= 0 && double.IsFinite(value))
            {
                duration = TimeSpan.FromMilliseconds(value * ms);
                error = null;
                return true;
            }
            break;
        }
        error = $"'{text}' is not a duration; use a number with a unit: ms, s, m, h or d (e.g. 500ms, 30m, 24h).";
        return false;
    }
}
