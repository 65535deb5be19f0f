using System.Globalization;

namespace StreamingPipeline.Events.Generation;

/// <summary>What stream <see cref="EventStreamGenerator"/> produces. Equal options give an identical stream.</summary>
public sealed record GeneratorOptions
{
    /// <summary>The event-time rate used when the real rate is unlimited (<c>--rate -1</c>).</summary>
    public const double NominalEventsPerSecond = 1000;

    /// <summary>Seeds every random choice.</summary>
    public long Seed { get; init; }

    /// <summary>How many distinct users there are.</summary>
    public int Users { get; init; } = 10_000;

    /// <summary>How a session's user is drawn.</summary>
    public UserDistribution Distribution { get; init; } = UserDistribution.Uniform;

    /// <summary>The Zipf exponent when <see cref="Distribution"/> is Zipf.</summary>
    public double Skew { get; init; } = 1.0;

    /// <summary>How many sessions are open at once (capped at <see cref="Users"/>); more spreads a session's events thinner in time.</summary>
    public int ConcurrentSessions { get; init; } = 1000;

    /// <summary>The share of all records that are re-sends of an earlier event, in [0, 1).</summary>
    public double DuplicateShare { get; init; }

    /// <summary>The event-time delay of a re-send.</summary>
    public DuplicateDelay DuplicateDelay { get; init; } = DuplicateDelay.Default;

    /// <summary>The share of all records that are malformed, in [0, 1).</summary>
    public double MalformedShare { get; init; }

    /// <summary>The first record's event time, epoch ms.</summary>
    public long EventTimeStart { get; init; }

    /// <summary>Event-time seconds per real second.</summary>
    public double EventTimeSpeedup { get; init; } = 1.0;

    /// <summary>The real rate the stream is paced at, which with <see cref="EventTimeSpeedup"/> fixes event time's pace.</summary>
    public double EventsPerSecond { get; init; } = NominalEventsPerSecond;

    /// <summary>Stop after this many records in all (events, duplicates and malformed); null for no limit.</summary>
    public long? MaxRecords { get; init; }

    /// <summary>Bound on duplicates waiting for their time; when full, the earliest is sent early (and classified by its real delay).</summary>
    public int MaxPendingDuplicates { get; init; } = 1_000_000;

    /// <summary>The dedup window the truth is computed for.</summary>
    public TimeSpan DedupWindow { get; init; } = TimeSpan.FromHours(24);

    /// <summary>The dedup window's slide (bucket size).</summary>
    public TimeSpan DedupSlide { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Event-time milliseconds between consecutive records.</summary>
    public double EventTimeStepMs => 1000.0 * EventTimeSpeedup / EventsPerSecond;

    /// <summary>The first problem with these options, as a one-line reason, or null.</summary>
    public string? Validate()
    {
        static string F(double v) => v.ToString(CultureInfo.InvariantCulture);
        if (Users < 1)
        {
            return $"--users must be at least 1 (got {Users})";
        }
        if (Distribution == UserDistribution.Zipf && !(Skew > 0 && double.IsFinite(Skew)))
        {
            return $"--skew must be a positive number (got {F(Skew)})";
        }
        if (ConcurrentSessions < 1)
        {
            return $"--concurrent-sessions must be at least 1 (got {ConcurrentSessions})";
        }
        if (!(DuplicateShare >= 0 && DuplicateShare < 1))
        {
            return $"--duplicates must be a share in [0, 1) (got {F(DuplicateShare)})";
        }
        if (!(MalformedShare >= 0 && MalformedShare < 1))
        {
            return $"--malformed must be a share in [0, 1) (got {F(MalformedShare)})";
        }
        if (DuplicateShare + MalformedShare >= 1)
        {
            return "--duplicates plus --malformed must leave room for new events (sum below 1)";
        }
        if (!(EventTimeSpeedup > 0 && double.IsFinite(EventTimeSpeedup)))
        {
            return $"--event-time-speedup must be a positive number (got {F(EventTimeSpeedup)})";
        }
        if (!(EventsPerSecond > 0 && double.IsFinite(EventsPerSecond)))
        {
            return $"the event rate must be a positive number (got {F(EventsPerSecond)})";
        }
        if (EventTimeStart < UserEventLimits.MinTimestamp || EventTimeStart >= UserEventLimits.MaxTimestampExclusive)
        {
            return "--event-time-start must lie between 2000-01-01 and 2100-01-01";
        }
        if (MaxRecords is < 0)
        {
            return $"--count must not be negative (got {MaxRecords})";
        }
        if (MaxPendingDuplicates < 1)
        {
            return "--max-pending-duplicates must be at least 1";
        }
        if (DedupSlide > DedupWindow)
        {
            return "--dedup-slide must not exceed --dedup-window";
        }
        return DuplicateDelay.Validate() is { } delayError ? $"--duplicate-delay: {delayError}" : null;
    }
}
