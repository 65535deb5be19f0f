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
    private const int RestoreCommitEvery = 65_536;

    /// <summary>Committed passes gathered before the state is written (unless <see cref="StateWriteInterval"/> passes first).</summary>
    internal const int StateWriteEvery = 16_384;

    /// <summary>The longest committed passes wait before the state is written.</summary>
    internal static readonly TimeSpan StateWriteInterval = TimeSpan.FromSeconds(1);

    private IBucketStateStore? _store;
    private DedupOperator? _operator;
    // State writes lag the Kafka commits (see OnCommitted): the newest committed output offset not yet written, the
    // passes since the last write, when it was, and whether records were processed since the last Kafka commit.
    private long? _unwrittenOffset;
    private long _passedAtLastWrite;
    private long _lastWrite = System.Diagnostics.Stopwatch.GetTimestamp();
    private bool _processedSinceCommit;

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
            var parsed = UserEventParser.ParseKeyFields(record.Value);
            if (parsed.IsValid)
            {
                _operator.ApplyPassed(parsed.EventId, parsed.UserIdUtf8, record.Timestamp);
                if (++applied % RestoreCommitEvery == 0)
                {
                    // Bounded staged memory and write batches; a restore cut short resumes from here.
                    _operator.Commit(record.Offset);
                }
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
        _processedSinceCommit = true;
        // Only the key fields are extracted (no strings for a valid record); the checks are the full parser's.
        var parsed = UserEventParser.ParseKeyFields(record.Value);
        if (!parsed.IsValid)
        {
            output.DeadLetter(record, parsed.Code, parsed.ToString());
            return;
        }
        var dedup = _operator ?? throw new InvalidOperationException("the dedup task processed a record before its restore");
        switch (dedup.Decide(parsed.EventId, parsed.UserIdUtf8, record.Timestamp))
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

    /// <remarks>
    /// The state is written every <see cref="StateWriteEvery"/> committed passes or <see cref="StateWriteInterval"/>,
    /// not after every transaction: one larger batch, sorted, costs RocksDB far less per key than ten small ones
    /// (docs/BENCHMARKS.md). Until then the committed changes stay staged with the checkpoint of the last write, so the
    /// state only lags Kafka, which a restore catches up; an abort drops them and the rebuilt task restores them.
    /// </remarks>
    public void OnCommitted(long? lastOutputOffset)
    {
        _processedSinceCommit = false;
        if (lastOutputOffset is { } offset)
        {
            _unwrittenOffset = offset;
        }
        if (_unwrittenOffset is { } unwritten
            && (Passed - _passedAtLastWrite >= StateWriteEvery || System.Diagnostics.Stopwatch.GetElapsedTime(_lastWrite) >= StateWriteInterval))
        {
            WriteState(unwritten);
        }
    }

    /// <summary>An idle input: the committed passes still staged are written now rather than at the next commit.</summary>
    public void OnIdle()
    {
        if (_unwrittenOffset is { } unwritten && !_processedSinceCommit
            && System.Diagnostics.Stopwatch.GetElapsedTime(_lastWrite) >= StateWriteInterval)
        {
            WriteState(unwritten);
        }
    }

    public void OnAborted()
    {
        _unwrittenOffset = null;
        _operator?.Abort();
    }

    public StateStoreStats? GetStateStats() => _store?.GetStats();

    public ValueTask DisposeAsync()
    {
        if (_unwrittenOffset is { } unwritten && !_processedSinceCommit)
        {
            // Everything staged is committed in Kafka (nothing was processed since): write it, so the next start
            // has nothing to catch up. With records processed since, the staging holds uncommitted changes: drop all.
            WriteState(unwritten);
        }
        _operator?.Abort();
        _store?.Dispose();
        _store = null;
        _operator = null;
        return ValueTask.CompletedTask;
    }

    private void WriteState(long outputOffset)
    {
        // Cleared first: a write that fails is not retried at dispose (the rebuilt task restores instead).
        _unwrittenOffset = null;
        _operator?.Commit(outputOffset);
        _passedAtLastWrite = Passed;
        _lastWrite = System.Diagnostics.Stopwatch.GetTimestamp();
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
