namespace StreamingPipeline.Events.Generation;

/// <summary>Classifies duplicate delays and names the classes in summaries.</summary>
public static class DelayClasses
{
    /// <summary>Every class, shortest delays first.</summary>
    public static IReadOnlyList<DelayClass> All { get; } =
        [DelayClass.Seconds, DelayClass.Minutes, DelayClass.Hours, DelayClass.WindowEdge, DelayClass.BeyondWindow];

    /// <summary>The class of a delay of <paramref name="delayMs"/> for a window of <paramref name="window"/> sliding by <paramref name="slide"/>.</summary>
    public static DelayClass Classify(long delayMs, TimeSpan window, TimeSpan slide)
    {
        var windowMs = (long)window.TotalMilliseconds;
        var slideMs = (long)slide.TotalMilliseconds;
        if (delayMs > windowMs + slideMs)
        {
            return DelayClass.BeyondWindow;
        }
        if (delayMs >= windowMs - slideMs)
        {
            return DelayClass.WindowEdge;
        }
        return delayMs switch
        {
            < 60_000 => DelayClass.Seconds,
            < 3_600_000 => DelayClass.Minutes,
            _ => DelayClass.Hours,
        };
    }

    /// <summary>The snake_case name used in the summary JSON.</summary>
    public static string Name(this DelayClass delayClass) => delayClass switch
    {
        DelayClass.Seconds => "seconds",
        DelayClass.Minutes => "minutes",
        DelayClass.Hours => "hours",
        DelayClass.WindowEdge => "window_edge",
        DelayClass.BeyondWindow => "beyond_window",
        _ => throw new ArgumentOutOfRangeException(nameof(delayClass), delayClass, "not a delay class"),
    };

    /// <summary>How many times a duplicated event of this class should come out of a correct dedup.</summary>
    public static TruthExpectation Expectation(this DelayClass delayClass) => delayClass switch
    {
        DelayClass.BeyondWindow => TruthExpectation.Twice,
        DelayClass.WindowEdge => TruthExpectation.OnceOrTwice,
        _ => TruthExpectation.Once,
    };
}
