using StreamingPipeline.Events;
using StreamingPipeline.Events.Generation;
using StreamingPipeline.Jobs.Dedup;
using StreamingPipeline.Processing.State;

namespace StreamingPipeline.Jobs.Tests.Integration;

/// <summary>A seeded generator stream, materialised, with its summary and what an uninterrupted dedup emits.</summary>
internal sealed class GeneratedStream
{
    private GeneratedStream(List<Captured> records, GeneratorSummary summary)
    {
        Records = records;
        Summary = summary;
    }

    public List<Captured> Records { get; }

    public GeneratorSummary Summary { get; }

    public static GeneratedStream Create(GeneratorOptions options, int partitions)
    {
        var generator = new EventStreamGenerator(options, partitions);
        using var ledger = new GenerationLedger(options, partitions, truthFilePath: null);
        var records = new List<Captured>();
        while (generator.TryNext(out var r))
        {
            ledger.Record(r);
            records.Add(new Captured(r.Kind, r.Partition, r.Key, r.Value.ToArray(), r.Timestamp, r.Event.EventId, r.DelayClass, r.MalformedReason));
        }
        ledger.RecordAbandonedDuplicates(generator.AbandonPendingDuplicates());
        return new GeneratedStream(records, ledger.BuildSummary(DedupCluster.Input));
    }

    public IEnumerable<(int Partition, byte[] Key, byte[] Value, long Timestamp)> ToProduce(Range range) =>
        Records.Take(range).Select(r => (r.Partition, r.Key, r.Value, r.Timestamp));

    /// <summary>The values an uninterrupted dedup emits on each partition, in order: the operator over the in-memory store.</summary>
    public List<byte[]>[] ExpectedOutput(int partitions, DedupWindow window)
    {
        var expected = new List<byte[]>[partitions];
        for (var p = 0; p < partitions; p++)
        {
            expected[p] = [];
            using var store = new MemoryBucketStateStore();
            var dedup = new DedupOperator(store, window);
            var index = 0;
            foreach (var record in Records.Where(r => r.Partition == p && r.Kind != RecordKind.Malformed))
            {
                var parsed = UserEventParser.Parse(record.Value);
                if (dedup.Decide(parsed.Event.EventId, parsed.Event.UserId, record.Timestamp) != DedupDecision.Duplicate)
                {
                    expected[p].Add(record.Value);
                }
                if (++index % 100 == 0)
                {
                    dedup.Commit(expected[p].Count - 1);
                }
            }
        }
        return expected;
    }
}

internal sealed record Captured(
    RecordKind Kind,
    int Partition,
    byte[] Key,
    byte[] Value,
    long Timestamp,
    Guid EventId,
    DelayClass DelayClass,
    EventRejection MalformedReason);
