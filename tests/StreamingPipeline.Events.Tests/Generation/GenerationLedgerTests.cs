using StreamingPipeline.Events.Generation;

namespace StreamingPipeline.Events.Tests.Generation;

public sealed class GenerationLedgerTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("ledger-tests-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task TheSummaryCountsWhatWasGenerated()
    {
        var options = GeneratorTestStreams.Options(count: 30_000) with
        {
            DuplicateShare = 0.1,
            MalformedShare = 0.02,
            EventsPerSecond = 1000,
            EventTimeSpeedup = 3600,
            DuplicateDelay = new DuplicateDelay(TimeSpan.FromSeconds(1), TimeSpan.FromHours(30)),
        };
        var records = GeneratorTestStreams.Capture(options);
        var summary = Run(options, truthPath: null).BuildSummary("topic");

        Assert.Equal(records.Count, summary.TotalRecords);
        Assert.Equal(records.Count(r => r.Kind == RecordKind.Event), summary.Events);
        Assert.Equal(records.Where(r => r.Kind != RecordKind.Malformed).Select(r => r.Event.EventId).Distinct().Count(), summary.DistinctEventIds);
        Assert.Equal(records.Count(r => r.Kind == RecordKind.Duplicate), summary.Duplicates);
        Assert.Equal(summary.Duplicates, summary.DuplicatesByDelayClass.Values.Sum());
        Assert.Equal(summary.Malformed, summary.MalformedByReason.Values.Sum());
        foreach (var reason in EventRejections.All)
        {
            Assert.Equal(records.Count(r => r.MalformedReason == reason && r.Kind == RecordKind.Malformed), summary.MalformedByReason[reason.Code()]);
        }
        foreach (var partition in summary.PerPartition)
        {
            Assert.Equal(records.Count(r => r.Partition == partition.Partition), partition.Records);
            Assert.Equal(partition.Records, partition.Events + partition.Duplicates + partition.Malformed);
        }
        var beyond = summary.DuplicatesByDelayClass["beyond_window"];
        var edge = summary.DuplicatesByDelayClass["window_edge"];
        Assert.True(beyond > 0 && edge > 0);
        Assert.Equal(summary.Events + beyond, summary.ExpectedDedupOutput.Min);
        Assert.Equal(summary.Events + beyond + edge, summary.ExpectedDedupOutput.Max);

        var path = Path.Combine(_directory, "summary.json");
        await summary.WriteAsync(path, CancellationToken.None);
        var back = await GeneratorSummary.ReadAsync(path, CancellationToken.None);
        Assert.Equal(summary.TotalRecords, back.TotalRecords);
        Assert.Equal(summary.DuplicatesByDelayClass, back.DuplicatesByDelayClass);
        Assert.Contains("\"malformedByReason\"", await File.ReadAllTextAsync(path), StringComparison.Ordinal);
    }

    [Fact]
    public void TheTruthFileListsEveryDistinctEventOnceWithItsExpectation()
    {
        var options = GeneratorTestStreams.Options(count: 20_000) with
        {
            DuplicateShare = 0.2,
            MalformedShare = 0.01,
            EventsPerSecond = 1000,
            EventTimeSpeedup = 3600,
            DuplicateDelay = new DuplicateDelay(TimeSpan.FromSeconds(1), TimeSpan.FromHours(30)),
        };
        var records = GeneratorTestStreams.Capture(options);
        var path = Path.Combine(_directory, "truth.bin");
        using (Run(options, path))
        {
        }

        var truth = TruthFile.Read(path).ToList();
        var events = records.Where(r => r.Kind == RecordKind.Event).Select(r => r.Event.EventId).ToHashSet();
        Assert.Equal(events.Count, truth.Count);
        Assert.Equal(events, truth.Select(t => t.EventId).ToHashSet());
        var duplicateClass = records.Where(r => r.Kind == RecordKind.Duplicate).ToDictionary(r => r.Event.EventId, r => r.DelayClass);
        Assert.All(truth, t => Assert.Equal(
            duplicateClass.TryGetValue(t.EventId, out var c) ? c.Expectation() : TruthExpectation.Once,
            t.Expectation));
        // Entries of 17 bytes in frames of up to 4096 (10-byte frame header, kind byte), then a 19-byte end frame.
        var frames = (truth.Count + TruthFile.EntriesPerFrame - 1) / TruthFile.EntriesPerFrame;
        Assert.Equal((17 * truth.Count) + (11 * frames) + 19, new FileInfo(path).Length);
    }

    [Fact]
    public void AbandonedDuplicatesAreCountedAndTheirOriginalsExpectedOnce()
    {
        var options = GeneratorTestStreams.Options() with
        {
            MaxRecords = null,
            DuplicateShare = 0.5,
            DuplicateDelay = new DuplicateDelay(TimeSpan.FromDays(2), TimeSpan.FromDays(2)),
        };
        var path = Path.Combine(_directory, "truth.bin");
        var generator = new EventStreamGenerator(options, 4);
        GeneratorSummary summary;
        using (var ledger = new GenerationLedger(options, 4, path))
        {
            for (var i = 0; i < 1000; i++)
            {
                generator.TryNext(out var r);
                ledger.Record(r);
            }
            ledger.RecordAbandonedDuplicates(generator.AbandonPendingDuplicates());
            summary = ledger.BuildSummary("t");
        }

        Assert.True(summary.UnsentDuplicates > 0);
        Assert.Equal(0, summary.Duplicates);
        var truth = TruthFile.Read(path).ToList();
        Assert.Equal(summary.Events, truth.Count);
        Assert.All(truth, t => Assert.Equal(TruthExpectation.Once, t.Expectation));
    }

    [Fact]
    public void ACorruptOrTruncatedTruthFileIsDetected()
    {
        var path = Path.Combine(_directory, "truth.bin");
        using (var writer = TruthFile.Create(path))
        {
            writer.Write(Guid.NewGuid(), TruthExpectation.Once);
            writer.Write(Guid.NewGuid(), TruthExpectation.Twice);
        }
        Assert.Equal(2, TruthFile.Read(path).Count());

        var bytes = File.ReadAllBytes(path);
        bytes[10] ^= 1;
        File.WriteAllBytes(path, bytes);
        Assert.Throws<InvalidDataException>(() => TruthFile.Read(path).ToList());

        File.WriteAllBytes(path, bytes[..^5]);
        Assert.Throws<InvalidDataException>(() => TruthFile.Read(path).ToList());
    }

    private static GenerationLedger Run(GeneratorOptions options, string? truthPath)
    {
        var generator = new EventStreamGenerator(options, 8);
        var ledger = new GenerationLedger(options, 8, truthPath);
        while (generator.TryNext(out var record))
        {
            ledger.Record(record);
        }
        return ledger;
    }
}
