using Microsoft.Extensions.Logging;
using StreamingPipeline.Events;
using StreamingPipeline.Processing;
using StreamingPipeline.Processing.State;

namespace StreamingPipeline.Jobs.Dedup;

/// <summary>
/// Dedup of one partition. The state is a function of the committed output (see <see cref="DedupOperator"/>), so
/// the output is the changelog: <see cref="RestoreAsync"/> catches up from the state's checkpoint, or on an empty
/// state directory rebuilds by reading the output from the start of the window. Staged changes become durable in
/// <see cref="OnCommitted"/>, after Kafka committed them.
/// </summary>
internal sealed partial class DedupTask : IPartitionTask
{
    private readonly TaskContext _context;
    private readonly DedupWindow _window;
    private readonly StateBackend _backend;
    private readonly ILogger _logger;

    private const DedupKeyFormat KeyFormat = DedupKey.DefaultFormat;
    private IBucketStateStore? _store;
    private DedupOperator? _operator;

    public DedupTask(TaskContext context, DedupWindow window, StateBackend backend)
    {
        _context = context;
        _window = window;
        _backend = backend;
        _logger = context.LoggerFactory.CreateLogger<DedupTask>();
    }

    /// <summary>Events passed, late passes included (this task's lifetime).</summary>
    public long Passed { get; private set; }

    /// <summary>Passes whose bucket was already out of the window.</summary>
    public long Late { get; private set; }

    /// <summary>Duplicates dropped.</summary>
    public long Duplicates { get; private set; }

    public async ValueTask RestoreAsync(IRestoreContext restore, CancellationToken cancellationToken)
    {
        _store = OpenStore();
        if (_store.Checkpoint is { } stale && stale.OutputOffset >= await restore.GetEndOffsetAsync(cancellationToken))
        {
            // The state claims output the partition does not have: the topic was recreated. Start over.
            LogStateAhead(_context.Partition, stale.OutputOffset);
            _store.Dispose();
            Directory.Delete(_context.StateDirectory, recursive: true);
            _store = OpenStore();
        }
        _operator = new DedupOperator(_store, _window, KeyFormat);

        long from;
        if (_store.Checkpoint is { } checkpoint)
        {
            from = checkpoint.OutputOffset + 1;
        }
        else
        {
            if (await restore.GetLastCommittedAsync(cancellationToken) is not { } last)
            {
                return;
            }
            // Every record before this offset is older than the window's start as of the last record: none of
            // them can be retained, so the rebuilt state equals the uninterrupted one.
            from = await restore.GetOffsetForTimestampAsync(_window.RetainedSince(last.Timestamp), cancellationToken);
        }

        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        long applied = 0;
        long? lastOffset = null;
        await foreach (var record in restore.ReadAsync(from, cancellationToken))
        {
            var parsed = UserEventParser.Parse(record.Value);
            if (parsed.IsValid)
            {
                _operator.ApplyPassed(parsed.Event.EventId, parsed.Event.UserId, record.Timestamp);
                applied++;
            }
            lastOffset = record.Offset;
        }
        if (lastOffset is { } offset)
        {
            _operator.Commit(offset);
        }
        LogRestored(_context.Partition, applied, from, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds, _store.GetStats().Keys);
    }

    public void Process(InputRecord record, ITaskOutput output)
    {
        var parsed = UserEventParser.Parse(record.Value);
        if (!parsed.IsValid)
        {
            output.DeadLetter(record, parsed.Code, parsed.ToString());
            return;
        }
        var dedup = _operator ?? throw new InvalidOperationException("the dedup task processed a record before its restore");
        switch (dedup.Decide(parsed.Event.EventId, parsed.Event.UserId, record.Timestamp))
        {
            case DedupDecision.Duplicate:
                Duplicates++;
                return;
            case DedupDecision.PassLate:
                Late++;
                break;
            default:
                break;
        }
        Passed++;
        output.Emit(record.Key, record.Value, record.Timestamp, record.Headers);
    }

    public void OnCommitted(long? lastOutputOffset)
    {
        if (lastOutputOffset is { } offset)
        {
            _operator?.Commit(offset);
        }
    }

    public void OnAborted() => _operator?.Abort();

    public StateStoreStats? GetStateStats() => _store?.GetStats();

    public ValueTask DisposeAsync()
    {
        _operator?.Abort();
        _store?.Dispose();
        _store = null;
        _operator = null;
        return ValueTask.CompletedTask;
    }

    private IBucketStateStore OpenStore()
    {
        var layout = DedupKey.LayoutName(KeyFormat);
        try
        {
            return StateStores.Open(_backend, _context.StateDirectory, layout);
        }
        catch (StateStoreException e) when (e.IsOtherLayout)
        {
            // Written by a version with another key format: its keys would never match, so rebuild from the output.
            LogOtherLayout(_context.Partition, e.Message);
            Directory.Delete(_context.StateDirectory, recursive: true);
            return StateStores.Open(_backend, _context.StateDirectory, layout);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "partition {Partition}: {Reason}; rebuilding the state")]
    private partial void LogOtherLayout(int partition, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "partition {Partition}: state checkpoint at output offset {Offset} is beyond the output partition's end; rebuilding the state")]
    private partial void LogStateAhead(int partition, long offset);

    [LoggerMessage(Level = LogLevel.Information, Message = "partition {Partition}: restored {Applied} passed events from output offset {From} in {Seconds:0.000}s; {Keys} keys in state")]
    private partial void LogRestored(int partition, long applied, long from, double seconds, long keys);
}
