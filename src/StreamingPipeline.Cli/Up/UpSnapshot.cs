using StreamingPipeline.Events.Producing;

namespace StreamingPipeline.Cli.Up;

/// <summary>What <c>pipeline up</c> is doing at one moment.</summary>
/// <param name="Elapsed">Time since up started.</param>
/// <param name="Components">Each component with its state (running, stopped, failed or off) and a fixed detail (an address).</param>
/// <param name="TopicEnds">Each pipeline topic's end offsets summed over its partitions (records, plus transaction markers on transactional topics); null when the broker did not answer.</param>
/// <param name="TopicWrites">Records the pipeline wrote to each topic in this run (generator, dedup output, DLQ), in the order of TopicEnds.</param>
/// <param name="Generator">The generator's counters, or null when it does not run.</param>
/// <param name="Dedup">The dedup job's counters.</param>
/// <param name="Ingest">The ingester's counters.</param>
/// <param name="StoreRows">Rows in the analytics store, or null when the count failed.</param>
public sealed record UpSnapshot(
    TimeSpan Elapsed,
    IReadOnlyList<(string Name, string State, string Detail)> Components,
    IReadOnlyList<(string Topic, long? EndOffsets)> TopicEnds,
    IReadOnlyList<long> TopicWrites,
    ProducerProgress? Generator,
    UpSnapshot.DedupCounters Dedup,
    UpSnapshot.IngestCounters Ingest,
    long? StoreRows)
{
    /// <summary>The dedup job's counters of this run.</summary>
    public sealed record DedupCounters(long Consumed, long Emitted, long Dropped, long DeadLettered, long Lag, int Partitions, long Commits);

    /// <summary>The ingester's counters of this run.</summary>
    public sealed record IngestCounters(long Consumed, long Inserted, long Duplicates, long DeadLettered, long Lag);
}
