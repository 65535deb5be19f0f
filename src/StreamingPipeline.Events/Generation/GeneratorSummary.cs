using System.Text.Json;

namespace StreamingPipeline.Events.Generation;

/// <summary>
/// What a generator run sent (<c>--summary-json</c>): the truth that tests and the end-to-end check compare the
/// pipeline's output with.
/// </summary>
public sealed class GeneratorSummary
{
    /// <summary>The topic written to.</summary>
    public string Topic { get; set; } = "";

    /// <summary>The seed; with the same options it reproduces the stream.</summary>
    public long Seed { get; set; }

    /// <summary>Event time of the first record, epoch ms.</summary>
    public long EventTimeStart { get; set; }

    /// <summary>The topic's partition count.</summary>
    public int Partitions { get; set; }

    /// <summary>All records sent: events, duplicates and malformed.</summary>
    public long TotalRecords { get; set; }

    /// <summary>Valid events sent for the first time.</summary>
    public long Events { get; set; }

    /// <summary>Distinct eventIds among valid records (equals <see cref="Events"/>: every new event has a new id).</summary>
    public long DistinctEventIds { get; set; }

    /// <summary>Exact re-sends.</summary>
    public long Duplicates { get; set; }

    /// <summary>Malformed records.</summary>
    public long Malformed { get; set; }

    /// <summary>Re-sends that were scheduled but not sent because the run stopped first.</summary>
    public long UnsentDuplicates { get; set; }

    /// <summary>Re-sends by how late they came (seconds, minutes, hours, window_edge, beyond_window).</summary>
    public Dictionary<string, long> DuplicatesByDelayClass { get; set; } = [];

    /// <summary>Malformed records by the parser's rejection code.</summary>
    public Dictionary<string, long> MalformedByReason { get; set; } = [];

    /// <summary>How many records a correct dedup emits.</summary>
    public ExpectedDedupOutput ExpectedDedupOutput { get; set; } = new();

    /// <summary>The dedup window the expectations assume, in ms.</summary>
    public long DedupWindowMs { get; set; }

    /// <summary>The dedup slide the expectations assume, in ms.</summary>
    public long DedupSlideMs { get; set; }

    /// <summary>Smallest record timestamp sent, epoch ms.</summary>
    public long? FirstTimestamp { get; set; }

    /// <summary>Largest record timestamp sent, epoch ms.</summary>
    public long? LastTimestamp { get; set; }

    /// <summary>Records per partition, as the murmur2 partitioner places their keys.</summary>
    public List<PartitionSummary> PerPartition { get; set; } = [];

    /// <summary>Records the broker acknowledged.</summary>
    public long Acknowledged { get; set; }

    /// <summary>Records handed to the producer that were never acknowledged (0 on success).</summary>
    public long NotAcknowledged { get; set; }

    /// <summary>Wall-clock duration of the run, seconds.</summary>
    public double ElapsedSeconds { get; set; }

    /// <summary>Records per second over the run.</summary>
    public double AchievedRate { get; set; }

    /// <summary>Why the run failed, or null.</summary>
    public string? Error { get; set; }

    /// <summary>Writes the summary as indented JSON to <paramref name="path"/>.</summary>
    public async Task WriteAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = File.Create(path);
        await JsonSerializer.SerializeAsync(stream, this, SummaryJsonContext.Default.GeneratorSummary, cancellationToken);
    }

    /// <summary>Reads a summary written by <see cref="WriteAsync"/>.</summary>
    public static async Task<GeneratorSummary> ReadAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = File.OpenRead(path);
        return await JsonSerializer.DeserializeAsync(stream, SummaryJsonContext.Default.GeneratorSummary, cancellationToken)
            ?? throw new InvalidDataException($"{path} holds no summary.");
    }
}
