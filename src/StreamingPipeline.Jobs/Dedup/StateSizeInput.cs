using StreamingPipeline.Processing.State;

namespace StreamingPipeline.Jobs.Dedup;

/// <summary>What <see cref="StateSizeModel"/> sizes: a dedup deployment's traffic, window and partitioning.</summary>
/// <param name="Users">Distinct users N.</param>
/// <param name="EventsPerUserPerDay">Input records per user per day R, re-sends included.</param>
/// <param name="Window">The dedup window W.</param>
/// <param name="Slide">The bucket width S (divides W).</param>
/// <param name="DuplicateShare">Share of input records that are re-sends inside the window (dropped, never remembered).</param>
/// <param name="Partitions">Input partitions P: one state store each, users spread evenly.</param>
/// <param name="UserIdBytes">UTF-8 length of a userId; null for the generator's <c>u-</c> + zero-padded index.</param>
/// <param name="Expiry">How the RocksDB store expires buckets: a compaction filter (the default) or a per-bucket key index.</param>
/// <param name="KeyFormat">How a remembered id is keyed: a 12-byte hash (the default), the binary eventId + userId, or its text.</param>
public sealed record StateSizeInput(
    long Users,
    double EventsPerUserPerDay,
    TimeSpan Window,
    TimeSpan Slide,
    double DuplicateShare = 0.05,
    int Partitions = 8,
    int? UserIdBytes = null,
    RocksDbExpiry Expiry = RocksDbExpiry.CompactionFilter,
    DedupKeyFormat KeyFormat = DedupKey.DefaultFormat)
{
    /// <summary>The userId length used: <see cref="UserIdBytes"/> or the generator's format for <see cref="Users"/>.</summary>
    public int EffectiveUserIdBytes =>
        UserIdBytes ?? 2 + Math.Max(6, Math.Max(0, Users - 1).ToString(System.Globalization.CultureInfo.InvariantCulture).Length);

    /// <summary>A one-line reason when the input cannot be sized; null when it can.</summary>
    public string? Validate()
    {
        if (Users < 1)
        {
            return $"--users must be at least 1 (got {Users})";
        }
        if (!(EventsPerUserPerDay > 0) || !double.IsFinite(EventsPerUserPerDay))
        {
            return $"--events-per-user-per-day must be positive (got {EventsPerUserPerDay})";
        }
        if (Slide <= TimeSpan.Zero)
        {
            return "--slide must be positive";
        }
        if (Window < Slide || (long)Window.TotalMilliseconds % (long)Slide.TotalMilliseconds != 0)
        {
            return $"--window ({Window}) must be a whole number of slides ({Slide})";
        }
        if (!(DuplicateShare >= 0 && DuplicateShare < 1))
        {
            return $"--duplicates must be in [0, 1) (got {DuplicateShare})";
        }
        if (Partitions < 1)
        {
            return $"--partitions must be at least 1 (got {Partitions})";
        }
        if (UserIdBytes is < 1 or > 256)
        {
            return $"--user-id-bytes must be 1..256 (got {UserIdBytes})";
        }
        return null;
    }
}
