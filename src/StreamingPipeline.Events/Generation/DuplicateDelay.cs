namespace StreamingPipeline.Events.Generation;

/// <summary>
/// The event-time delay after which a duplicate is re-sent: fixed when <see cref="Min"/> equals <see cref="Max"/>,
/// otherwise log-uniform between them, so seconds, minutes, hours and beyond-the-window delays all occur.
/// </summary>
/// <param name="Min">Shortest delay (at least 1 ms).</param>
/// <param name="Max">Longest delay.</param>
public sealed record DuplicateDelay(TimeSpan Min, TimeSpan Max)
{
    /// <summary>The default: one second up to 30 hours, past a 24 h window.</summary>
    public static DuplicateDelay Default { get; } = new(TimeSpan.FromSeconds(1), TimeSpan.FromHours(30));

    /// <summary>A problem with the bounds, or null when they are usable.</summary>
    public string? Validate()
    {
        if (Min < TimeSpan.FromMilliseconds(1))
        {
            return "the duplicate delay must be at least 1ms";
        }
        return Max < Min ? "the duplicate delay range must have its minimum first (MIN..MAX)" : null;
    }

    /// <summary>The bounds as the command line writes them: <c>30s</c> or <c>1s..30h</c>.</summary>
    public override string ToString() => Min == Max ? Format(Min) : $"{Format(Min)}..{Format(Max)}";

    /// <summary>Draws one delay in milliseconds.</summary>
    public long SampleMilliseconds(DeterministicRandom random)
    {
        var min = Min.TotalMilliseconds;
        var max = Max.TotalMilliseconds;
        if (max <= min)
        {
            return (long)min;
        }
        var logMin = Math.Log(min);
        var delay = Math.Exp(logMin + (random.NextDouble() * (Math.Log(max) - logMin)));
        return Math.Clamp((long)delay, (long)min, (long)max);
    }

    private static string Format(TimeSpan value)
    {
        var ms = (long)value.TotalMilliseconds;
        foreach (var (unit, size) in new[] { ("d", 86_400_000L), ("h", 3_600_000L), ("m", 60_000L), ("s", 1_000L) })
        {
            if (ms >= size && ms % size == 0)
            {
                return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{ms / size}{unit}");
            }
        }
        return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{ms}ms");
    }
}
