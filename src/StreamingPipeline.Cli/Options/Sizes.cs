using System.Globalization;

namespace StreamingPipeline.Cli.Options;

/// <summary>Parses byte sizes such as <c>64MiB</c>, <c>1GiB</c>, <c>512KiB</c>, <c>100MB</c> or a plain number of bytes.</summary>
public static class Sizes
{
    private static readonly (string Suffix, long Bytes)[] Units =
    [
        ("KiB", 1L << 10), ("MiB", 1L << 20), ("GiB", 1L << 30), ("TiB", 1L << 40),
        ("KB", 1_000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("TB", 1_000_000_000_000), ("B", 1),
    ];

    /// <summary>Parses <paramref name="text"/>; returns false with a reason when it is not a non-negative size.</summary>
    public static bool TryParse(string text, out long bytes, out string? error)
    {
        bytes = 0;
        var trimmed = text.Trim();
        var unit = Units.FirstOrDefault(u => trimmed.EndsWith(u.Suffix, StringComparison.OrdinalIgnoreCase));
        var number = unit.Suffix is null ? trimmed : trimmed[..^unit.Suffix.Length];
        var multiplier = unit.Suffix is null ? 1 : unit.Bytes;
        if (double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= 0 && value * multiplier <= long.MaxValue)
        {
            bytes = (long)(value * multiplier);
            error = null;
            return true;
        }
        error = $"'{text}' is not a size; use bytes or a unit: KiB, MiB, GiB (e.g. 64MiB).";
        return false;
    }
}
