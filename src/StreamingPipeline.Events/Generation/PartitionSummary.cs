namespace StreamingPipeline.Events.Generation;

/// <summary>What one partition received.</summary>
public sealed class PartitionSummary
{
    /// <summary>The partition number.</summary>
    public int Partition { get; set; }

    /// <summary>All records.</summary>
    public long Records { get; set; }

    /// <summary>New valid events.</summary>
    public long Events { get; set; }

    /// <summary>Re-sends.</summary>
    public long Duplicates { get; set; }

    /// <summary>Malformed records.</summary>
    public long Malformed { get; set; }
}
