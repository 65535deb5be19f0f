using StreamingPipeline.Events.Generation;

namespace StreamingPipeline.Events.Tests.Generation;

/// <summary>Materialises generated records so tests can inspect them after the generator moved on.</summary>
internal static class GeneratorTestStreams
{
    public const long Start = 1_764_000_000_000;

    public static GeneratorOptions Options(long seed = 7, long count = 20_000) => new()
    {
        Seed = seed,
        EventTimeStart = Start,
        MaxRecords = count,
        Users = 2_000,
        ConcurrentSessions = 200,
    };

    public static List<CapturedRecord> Capture(GeneratorOptions options, int partitions = 8)
    {
        var generator = new EventStreamGenerator(options, partitions);
        var records = new List<CapturedRecord>();
        while (generator.TryNext(out var r))
        {
            records.Add(new CapturedRecord(r.Kind, r.Sequence, r.Key, r.Value.ToArray(), r.Timestamp, r.Partition, r.Event,
                r.MalformedReason, r.DuplicateDelayMs, r.DelayClass, r.DuplicateScheduled));
        }
        return records;
    }
}

internal sealed record CapturedRecord(
    RecordKind Kind,
    long Sequence,
    byte[] Key,
    byte[] Value,
    long Timestamp,
    int Partition,
    UserEvent Event,
    EventRejection MalformedReason,
    long DuplicateDelayMs,
    DelayClass DelayClass,
    bool DuplicateScheduled);
