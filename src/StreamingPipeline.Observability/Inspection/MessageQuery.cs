namespace StreamingPipeline.Observability.Inspection;

/// <summary>What to read from a topic; plain values so it binds from a query string or JSON.</summary>
/// <param name="Topic">The topic to read.</param>
public sealed record MessageQuery(string Topic)
{
    /// <summary>One partition, or null for all.</summary>
    public int? Partition { get; init; }

    /// <summary>Where the read starts in each partition.</summary>
    public MessageStart Start { get; init; } = MessageStart.Newest;

    /// <summary>The offset for <see cref="MessageStart.Offset"/>.</summary>
    public long? Offset { get; init; }

    /// <summary>Milliseconds since the Unix epoch for <see cref="MessageStart.Timestamp"/>.</summary>
    public long? TimestampUnixMs { get; init; }

    /// <summary>At most this many records are returned (for <see cref="MessageStart.Newest"/>: the newest this many); null for no limit.</summary>
    public int? MaxMessages { get; init; } = 100;

    /// <summary>read_committed (the default, what the pipeline's consumers see) or read_uncommitted.</summary>
    public ReadIsolation Isolation { get; init; } = ReadIsolation.ReadCommitted;

    /// <summary>Only records whose key, value or a header value contains this text (ordinal, case-insensitive); null for all.</summary>
    public string? Filter { get; init; }

    /// <summary>Whether the read goes on past the end, waiting for new records, until the count is reached or it is cancelled.</summary>
    public bool Follow { get; init; }

    /// <summary>A read that does not follow returns what it has after this long, even if it has not reached the end.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);
}
