namespace StreamingPipeline.Events.Generation;

/// <summary>
/// Counts what the generator sent, per kind, reason, delay class and partition, and writes the truth file as each
/// event's fate becomes known. Called from the single producing loop; not thread-safe.
/// </summary>
public sealed class GenerationLedger : IDisposable
{
    private readonly GeneratorOptions _options;
    private readonly TruthFileWriter? _truth;
    private readonly PartitionSummary[] _partitions;
    private readonly long[] _byDelayClass = new long[DelayClasses.All.Count];
    private readonly long[] _byReason = new long[EventRejections.All.Count + 1];
    private long _events;
    private long _duplicates;
    private long _malformed;
    private long _unsentDuplicates;
    private long _minTimestamp = long.MaxValue;
    private long _maxTimestamp = long.MinValue;

    /// <summary>A ledger for a stream of <paramref name="options"/> over <paramref name="partitionCount"/> partitions.</summary>
    /// <param name="options">The generator's options (window, slide, seed for the summary).</param>
    /// <param name="partitionCount">The topic's partition count.</param>
    /// <param name="truthFilePath">Where to write the truth file, or null for none.</param>
    public GenerationLedger(GeneratorOptions options, int partitionCount, string? truthFilePath)
    {
        _options = options;
        _partitions = new PartitionSummary[partitionCount];
        for (var i = 0; i < partitionCount; i++)
        {
            _partitions[i] = new PartitionSummary { Partition = i };
        }
        _truth = truthFilePath is null ? null : TruthFile.Create(truthFilePath);
    }

    /// <summary>Records in all.</summary>
    public long Records => _events + _duplicates + _malformed;

    /// <summary>Counts one record handed to the producer.</summary>
    public void Record(in GeneratedRecord record)
    {
        var partition = _partitions[record.Partition];
        partition.Records++;
        _minTimestamp = Math.Min(_minTimestamp, record.Timestamp);
        _maxTimestamp = Math.Max(_maxTimestamp, record.Timestamp);
        switch (record.Kind)
        {
            case RecordKind.Event:
                _events++;
                partition.Events++;
                if (!record.DuplicateScheduled)
                {
                    _truth?.Write(record.Event.EventId, TruthExpectation.Once);
                }
                break;
            case RecordKind.Duplicate:
                _duplicates++;
                partition.Duplicates++;
                _byDelayClass[(int)record.DelayClass]++;
                _truth?.Write(record.Event.EventId, record.DelayClass.Expectation());
                break;
            case RecordKind.Malformed:
                _malformed++;
                partition.Malformed++;
                _byReason[(int)record.MalformedReason]++;
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(record), record.Kind, "unknown record kind");
        }
    }

    /// <summary>Records that these events' re-sends were given up, so each was sent once.</summary>
    public void RecordAbandonedDuplicates(IReadOnlyList<UserEvent> originals)
    {
        _unsentDuplicates += originals.Count;
        foreach (var original in originals)
        {
            _truth?.Write(original.EventId, TruthExpectation.Once);
        }
    }

    /// <summary>The summary of everything recorded so far.</summary>
    public GeneratorSummary BuildSummary(string topic)
    {
        var summary = new GeneratorSummary
        {
            Topic = topic,
            Seed = _options.Seed,
            EventTimeStart = _options.EventTimeStart,
            Partitions = _partitions.Length,
            TotalRecords = Records,
            Events = _events,
            DistinctEventIds = _events,
            Duplicates = _duplicates,
            Malformed = _malformed,
            UnsentDuplicates = _unsentDuplicates,
            DedupWindowMs = (long)_options.DedupWindow.TotalMilliseconds,
            DedupSlideMs = (long)_options.DedupSlide.TotalMilliseconds,
            FirstTimestamp = Records == 0 ? null : _minTimestamp,
            LastTimestamp = Records == 0 ? null : _maxTimestamp,
        };
        foreach (var delayClass in DelayClasses.All)
        {
            summary.DuplicatesByDelayClass[delayClass.Name()] = _byDelayClass[(int)delayClass];
        }
        foreach (var reason in EventRejections.All)
        {
            summary.MalformedByReason[reason.Code()] = _byReason[(int)reason];
        }
        var beyond = _byDelayClass[(int)DelayClass.BeyondWindow];
        var edge = _byDelayClass[(int)DelayClass.WindowEdge];
        summary.ExpectedDedupOutput = new ExpectedDedupOutput { Min = _events + beyond, Max = _events + beyond + edge };
        summary.PerPartition = _partitions
            .Select(p => new PartitionSummary
            {
                Partition = p.Partition,
                Records = p.Records,
                Events = p.Events,
                Duplicates = p.Duplicates,
                Malformed = p.Malformed,
            })
            .ToList();
        return summary;
    }

    /// <summary>Completes the truth file.</summary>
    public void Dispose() => _truth?.Dispose();
}
