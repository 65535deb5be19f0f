using System.Diagnostics;
using System.Globalization;
using StreamingPipeline.Analytics.Ingestion;
using StreamingPipeline.Analytics.Query;
using StreamingPipeline.Events.Producing;
using StreamingPipeline.Observability.Inspection;
using StreamingPipeline.Processing;

namespace StreamingPipeline.Cli.Up;

/// <summary>
/// Collects what <c>pipeline up</c> runs into <see cref="UpSnapshot"/>s: the components' tasks, their counters, the
/// topics' end offsets (through the inspection library, as any Kafka client sees them) and the store's row count.
/// </summary>
public sealed class UpStatus : IDisposable
{
    private const string RowCountSql = "select count(*) from user_events";

    private readonly KafkaInspector _kafka;
    private readonly IReadOnlyList<string> _topics;
    private readonly IQueryStore _store;
    private readonly List<(string Name, Task? Run, string Detail)> _components = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly CancellationTokenSource _stopped = new();

    /// <summary>Watches the broker at <paramref name="bootstrapServers"/>, the pipeline's input, output and DLQ topics, and <paramref name="store"/>.</summary>
    public UpStatus(string bootstrapServers, string inputTopic, string outputTopic, string dlqTopic, IQueryStore store)
    {
        _kafka = new KafkaInspector(new KafkaConnection(bootstrapServers) { RequestTimeout = TimeSpan.FromSeconds(5) });
        _topics = [inputTopic, outputTopic, dlqTopic];
        _store = store;
    }

    /// <summary>The dedup job's counters, once it runs.</summary>
    public ProcessingMetrics? Dedup { get; set; }

    /// <summary>The ingester's counters, once it runs.</summary>
    public IngestMetrics? Ingest { get; set; }

    /// <summary>The generator's counters, once it runs.</summary>
    public Func<ProducerProgress>? Generator { get; set; }

    /// <summary>Adds a component shown as running until <paramref name="run"/> ends (null: shown as off).</summary>
    public void Track(string name, Task? run) => _components.Add((name, run, ""));

    /// <summary>Adds a component that runs as long as up does (the broker, the query API), with <paramref name="detail"/> shown beside it.</summary>
    public void TrackService(string name, string detail) => _components.Add((name, Task.Delay(Timeout.Infinite, _stopped.Token), detail));

    /// <summary>What a restart found in the data directory, in one line, or null when it starts empty.</summary>
    public async Task<string?> DescribeRecoveredAsync(CancellationToken cancellationToken)
    {
        var ends = await TopicEndsAsync(cancellationToken);
        var rows = await StoreRowsAsync(cancellationToken);
        if (ends.All(e => e.EndOffsets is null or 0) && rows is null or 0)
        {
            return null;
        }
        var topics = string.Join(", ", ends.Select(e => $"{e.Topic} {Count(e.EndOffsets)}"));
        return $"recovered: {topics} (end offsets); {Count(rows)} rows in the store; dedup and ingest resume from their committed offsets";
    }

    /// <summary>Takes a snapshot now.</summary>
    public async Task<UpSnapshot> SampleAsync(CancellationToken cancellationToken)
    {
        var ends = await TopicEndsAsync(cancellationToken);
        var rows = await StoreRowsAsync(cancellationToken);
        var dedup = Dedup is { } d
            ? new UpSnapshot.DedupCounters(d.Consumed, d.Emitted, d.Dropped, d.DeadLettered, d.Lag, d.AssignedPartitions, d.Commits)
            : new UpSnapshot.DedupCounters(0, 0, 0, 0, 0, 0, 0);
        var ingest = Ingest is { } i
            ? new UpSnapshot.IngestCounters(i.Consumed, i.Inserted, i.Duplicates, i.DeadLettered, i.Lag)
            : new UpSnapshot.IngestCounters(0, 0, 0, 0, 0);
        var generator = Generator?.Invoke();
        // What the writers counted: end offsets of transactional topics also count one commit marker per partition and commit.
        long[] writes = [generator?.Acknowledged ?? 0, dedup.Emitted, dedup.DeadLettered + ingest.DeadLettered];
        return new UpSnapshot(_clock.Elapsed, _components.Select(c => (c.Name, StateOf(c.Run), c.Detail)).ToList(), ends, writes, generator, dedup, ingest, rows);
    }

    /// <summary>A count with thousands separators, or "?" when unknown.</summary>
    public static string Count(long? value) => value is { } v ? v.ToString("N0", CultureInfo.InvariantCulture) : "?";

    private static string StateOf(Task? run) => run switch
    {
        null => "off",
        { IsCompletedSuccessfully: false, IsCompleted: false } => "running",
        { IsFaulted: true } => "failed",
        Task<int> { IsCompletedSuccessfully: true } exit when exit.Result != ExitCodes.Ok => "failed",
        _ => "stopped",
    };

    private async Task<List<(string Topic, long? EndOffsets)>> TopicEndsAsync(CancellationToken cancellationToken)
    {
        var ends = new List<(string, long?)>();
        foreach (var topic in _topics)
        {
            try
            {
                var offsets = await _kafka.Topics.DescribeAsync(topic, cancellationToken);
                ends.Add((topic, offsets.Partitions.Sum(p => p.EndOffset)));
            }
            catch (InspectionException)
            {
                ends.Add((topic, null));
            }
        }
        return ends;
    }

    private async Task<long?> StoreRowsAsync(CancellationToken cancellationToken)
    {
        try
        {
            var result = await _store.ExecuteAsync(RowCountSql, QueryLimits.Default, cancellationToken);
            return result.Rows is [[{ } count, ..], ..] ? Convert.ToInt64(count, CultureInfo.InvariantCulture) : null;
        }
        catch (Exception ex) when (ex is QueryFailedException or System.Data.Common.DbException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _stopped.Cancel();
        _stopped.Dispose();
        _kafka.Dispose();
    }
}
