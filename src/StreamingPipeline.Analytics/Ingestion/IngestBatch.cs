using StreamingPipeline.Events;
using StreamingPipeline.Processing;

namespace StreamingPipeline.Analytics.Ingestion;

/// <summary>
/// What one database transaction commits: the valid events (distinct eventIds within the batch), the next offset to
/// consume per partition, and the records that went to the DLQ. Events are kept without an object per row: their
/// fixed-size fields in an array of <see cref="IngestRow"/>, their strings as UTF-8 in one byte arena, the form both
/// stores write from. A batch is reused after its commit (<see cref="Clear"/>), so a steady load allocates nothing per row.
/// </summary>
public sealed class IngestBatch
{
    private const int InitialRows = 1024;
    private readonly HashSet<Guid> _eventIds = [];
    private readonly Dictionary<int, long> _nextOffsets = [];
    private IngestRow[] _rows = new IngestRow[InitialRows];
    private byte[] _text = new byte[InitialRows * 64];
    private int _textLength;
    private int _count;

    // The event the consumer's value deserializer parsed last: its strings are already at _textLength in the arena.
    private IngestRow _staged;

    /// <summary>Creates an empty batch of <paramref name="topic"/>.</summary>
    public IngestBatch(string topic) => Topic = topic;

    /// <summary>The source topic (the key of its rows in <c>ingest_offsets</c>).</summary>
    public string Topic { get; }

    /// <summary>The rows to insert, in consumption order; no eventId twice.</summary>
    public ReadOnlySpan<IngestRow> Events => _rows.AsSpan(0, _count);

    /// <summary>How many rows <see cref="Events"/> holds.</summary>
    public int EventCount => _count;

    /// <summary>Records that are not events, with the reason, for the DLQ.</summary>
    public List<(InputRecord Record, string Code, string Detail)> DeadLetters { get; } = [];

    /// <summary>Per partition, the offset after the last record of the batch: where a restart resumes.</summary>
    public IReadOnlyDictionary<int, long> NextOffsets => _nextOffsets;

    /// <summary>Valid records whose eventId already appeared earlier in this batch (not inserted).</summary>
    public long DuplicatesInBatch { get; private set; }

    /// <summary>Records consumed into this batch (events, in-batch duplicates and dead letters).</summary>
    public int RecordCount { get; private set; }

    /// <summary>The UTF-8 bytes of <paramref name="row"/>'s userId.</summary>
    public ReadOnlySpan<byte> UserId(in IngestRow row) => _text.AsSpan(row.TextStart, row.UserIdLength);

    /// <summary>The UTF-8 bytes of <paramref name="row"/>'s page.</summary>
    public ReadOnlySpan<byte> Page(in IngestRow row) => _text.AsSpan(row.TextStart + row.UserIdLength, row.PageLength);

    /// <summary>The UTF-8 bytes of <paramref name="row"/>'s sessionId.</summary>
    public ReadOnlySpan<byte> SessionId(in IngestRow row) => _text.AsSpan(row.TextStart + row.UserIdLength + row.PageLength, row.SessionIdLength);

    /// <summary>
    /// Adds a valid event read from <paramref name="partition"/> at <paramref name="offset"/>, or counts it as a
    /// duplicate when its eventId is already in the batch.
    /// </summary>
    public void AddEvent(in EventFields fields, int partition, long offset, long recordTimestamp)
    {
        Stage(fields);
        AddStaged(partition, offset, recordTimestamp);
    }

    /// <summary>Adds a record that goes to the DLQ.</summary>
    public void AddDeadLetter(InputRecord record, string code, string detail)
    {
        ArgumentNullException.ThrowIfNull(record);
        Consumed(record.Partition, record.Offset);
        DeadLetters.Add((record, code, detail));
    }

    /// <summary>Empties the batch for reuse, keeping its buffers.</summary>
    public void Clear()
    {
        _eventIds.Clear();
        _nextOffsets.Clear();
        DeadLetters.Clear();
        _count = 0;
        _textLength = 0;
        DuplicatesInBatch = 0;
        RecordCount = 0;
    }

    /// <summary>
    /// Copies a valid event's fields into the batch without adding it yet: the consumer parses values before it hands
    /// over the record's partition and offset (<see cref="AddStaged"/>). A later call replaces an event not added.
    /// </summary>
    internal void Stage(in EventFields fields)
    {
        if (!fields.IsValid)
        {
            throw new ArgumentException("Only a valid event is a row.", nameof(fields));
        }
        var length = fields.UserIdUtf8.Length + fields.PageUtf8.Length + fields.SessionIdUtf8.Length;
        if (_textLength + length > _text.Length)
        {
            Array.Resize(ref _text, Math.Max(_text.Length * 2, _textLength + length));
        }
        var text = _text.AsSpan(_textLength);
        fields.UserIdUtf8.CopyTo(text);
        fields.PageUtf8.CopyTo(text[fields.UserIdUtf8.Length..]);
        fields.SessionIdUtf8.CopyTo(text[(fields.UserIdUtf8.Length + fields.PageUtf8.Length)..]);
        _staged = new IngestRow(fields.EventId, fields.EventType, fields.Timestamp, _textLength, fields.UserIdUtf8.Length, fields.PageUtf8.Length, fields.SessionIdUtf8.Length);
    }

    /// <summary>Adds the event <see cref="Stage"/> copied, read from <paramref name="partition"/> at <paramref name="offset"/>.</summary>
    internal void AddStaged(int partition, long offset, long recordTimestamp)
    {
        Consumed(partition, offset);
        if (!_eventIds.Add(_staged.EventId))
        {
            // Its strings stay in the arena past _textLength, to be overwritten by the next event.
            DuplicatesInBatch++;
            return;
        }
        if (_count == _rows.Length)
        {
            Array.Resize(ref _rows, _rows.Length * 2);
        }
        _rows[_count++] = _staged with { Partition = partition, Offset = offset, RecordTimestamp = recordTimestamp };
        _textLength = _staged.TextStart + _staged.UserIdLength + _staged.PageLength + _staged.SessionIdLength;
    }

    private void Consumed(int partition, long offset)
    {
        RecordCount++;
        _nextOffsets[partition] = offset + 1;
    }
}
