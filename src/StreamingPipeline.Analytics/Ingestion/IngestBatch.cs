using StreamingPipeline.Processing;

namespace StreamingPipeline.Analytics.Ingestion;

/// <summary>
/// What one database transaction commits: the valid events (distinct eventIds within the batch), the next offset to
/// consume per partition, and the records that went to the DLQ.
/// </summary>
public sealed class IngestBatch
{
    private readonly HashSet<Guid> _eventIds = [];
    private readonly Dictionary<int, long> _nextOffsets = [];

    /// <summary>Creates an empty batch of <paramref name="topic"/>.</summary>
    public IngestBatch(string topic) => Topic = topic;

    /// <summary>The source topic (the key of its rows in <c>ingest_offsets</c>).</summary>
    public string Topic { get; }

    /// <summary>The rows to insert, in consumption order; no eventId twice.</summary>
    public List<IngestedEvent> Events { get; } = [];

    /// <summary>Records that are not events, with the reason, for the DLQ.</summary>
    public List<(InputRecord Record, string Code, string Detail)> DeadLetters { get; } = [];

    /// <summary>Per partition, the offset after the last record of the batch: where a restart resumes.</summary>
    public IReadOnlyDictionary<int, long> NextOffsets => _nextOffsets;

    /// <summary>Valid records whose eventId already appeared earlier in this batch (not inserted).</summary>
    public long DuplicatesInBatch { get; private set; }

    /// <summary>Records consumed into this batch (events, in-batch duplicates and dead letters).</summary>
    public int RecordCount { get; private set; }

    /// <summary>Adds a valid event, or counts it as a duplicate when its eventId is already in the batch.</summary>
    public void AddEvent(in IngestedEvent row)
    {
        Consumed(row.Partition, row.Offset);
        if (_eventIds.Add(row.Event.EventId))
        {
            Events.Add(row);
        }
        else
        {
            DuplicatesInBatch++;
        }
    }

    /// <summary>Adds a record that goes to the DLQ.</summary>
    public void AddDeadLetter(InputRecord record, string code, string detail)
    {
        Consumed(record.Partition, record.Offset);
        DeadLetters.Add((record, code, detail));
    }

    private void Consumed(int partition, long offset)
    {
        RecordCount++;
        _nextOffsets[partition] = offset + 1;
    }
}
