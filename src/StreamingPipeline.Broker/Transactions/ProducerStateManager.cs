using StreamingPipeline.Broker.Log;
using StreamingPipeline.Protocol;
using StreamingPipeline.Storage;

namespace StreamingPipeline.Broker.Transactions;

/// <summary>
/// Idempotence and transaction state of one partition (Kafka's ProducerStateManager + ProducerAppendInfo): per
/// producer the epoch and last five batches, so retries are acknowledged instead of stored twice and gaps are
/// refused; the open transactions, whose earliest first offset bounds the last stable offset; and the
/// <see cref="AbortedTransactionIndex"/> that markers feed. Persisted as snapshot files plus a replay of the log.
/// <para>
/// Threading: single writer. <see cref="CheckAppend"/>, <see cref="RecordAppend"/>, snapshots, truncation and
/// expiry must run under the partition's append lock, one batch at a time: check a batch, write it, record it, then
/// check the next. Readers on other threads use <see cref="AbortedTransactions"/> (thread-safe) and an LSO that the
/// log publishes after each append from <see cref="LastStableOffset"/>. Its file I/O is synchronous on purpose: it
/// runs under that (synchronous) lock, as the segment write it accompanies does, and opening happens during the
/// log's own synchronous recovery.
/// </para>
/// <para>
/// Produce path: <c>CheckAppend(batch, Client)</c>; when <see cref="ProducerAppendCheck.RequiresTransactionVerification"/>
/// is set, call <see cref="TransactionCoordinator.VerifyPartitionInTransaction"/> still holding the append lock (it takes
/// no lock, and the coordinator writes markers through that same lock, so no marker can slip between the check and
/// the write); then assign offsets, write, and <c>RecordAppend(batch.WithBaseOffset(assigned))</c>.
/// </para>
/// </summary>
public sealed class ProducerStateManager : IDisposable
{
    /// <summary>Batches remembered per producer for duplicate detection (Kafka's max.in.flight limit for idempotence).</summary>
    public const int BatchesToRetain = 5;

    private readonly string _directory;
    private readonly ProducerStateManagerOptions _options;
    private readonly TimeProvider _time;
    private readonly Dictionary<long, ProducerStateEntry> _producers = [];

    // First offsets of open transactions, and whose they are; the minimum bounds the LSO.
    private readonly SortedSet<long> _ongoingFirstOffsets = [];
    private readonly Dictionary<long, long> _ongoingOwners = [];

    // Decided transactions whose marker is not yet below the high watermark: first offset -> marker offset.
    private readonly SortedDictionary<long, long> _unreplicated = [];

    private readonly SortedSet<long> _snapshotOffsets = [];
    private long _mapEndOffset;
    private long _lastSnapshotOffset;

    private ProducerStateManager(string directory, AbortedTransactionIndex index, ProducerStateManagerOptions options, TimeProvider time)
    {
        _directory = directory;
        AbortedTransactions = index;
        _options = options;
        _time = time;
    }

    /// <summary>The partition's aborted transactions, for read_committed fetches.</summary>
    public AbortedTransactionIndex AbortedTransactions { get; }

    /// <summary>The offset after the last batch this state has seen.</summary>
    public long MapEndOffset => _mapEndOffset;

    /// <summary>Producers currently remembered.</summary>
    public int ProducerCount => _producers.Count;

    /// <summary>The earliest offset whose transaction is undecided, or decided with its marker not yet below the high watermark.</summary>
    public long? FirstUnstableOffset
    {
        get
        {
            long? first = _ongoingFirstOffsets.Count > 0 ? _ongoingFirstOffsets.Min : null;
            foreach (var (firstOffset, _) in _unreplicated)
            {
                if (first is null || firstOffset < first)
                {
                    first = firstOffset;
                }
                break;
            }
            return first;
        }
    }

    /// <summary>
    /// Opens the producer state of the partition in <paramref name="directory"/> whose log holds
    /// [<paramref name="logStartOffset"/>, <paramref name="logEndOffset"/>): loads the newest intact snapshot within
    /// that range and replays the batches after it, which <paramref name="readBatchesFrom"/> yields as raw v2 batches
    /// (whole batches; only control batches are read past their header) starting at the given offset.
    /// </summary>
    public static ProducerStateManager Open(
        string directory,
        long logStartOffset,
        long logEndOffset,
        Func<long, IEnumerable<ReadOnlyMemory<byte>>> readBatchesFrom,
        ProducerStateManagerOptions? options = null,
        TimeProvider? time = null)
    {
        options ??= new ProducerStateManagerOptions();
        Directory.CreateDirectory(directory);
        var index = AbortedTransactionIndex.Open(Path.Combine(directory, AbortedTransactionIndex.FileName), options.FlushToDisk);
        var manager = new ProducerStateManager(directory, index, options, time ?? TimeProvider.System);
        try
        {
            manager.Reload(logStartOffset, logEndOffset, readBatchesFrom);
        }
        catch
        {
            manager.Dispose();
            throw;
        }
        return manager;
    }

    /// <summary>
    /// After the log was truncated (a torn tail cut) or its start moved: drops what lies outside
    /// [<paramref name="logStartOffset"/>, <paramref name="logEndOffset"/>) and rebuilds from the newest snapshot in range.
    /// </summary>
    public void Reload(long logStartOffset, long logEndOffset, Func<long, IEnumerable<ReadOnlyMemory<byte>>> readBatchesFrom)
    {
        _producers.Clear();
        _ongoingFirstOffsets.Clear();
        _ongoingOwners.Clear();
        _unreplicated.Clear();
        AbortedTransactions.TruncateFrom(logEndOffset);
        LoadNewestSnapshot(logStartOffset, logEndOffset);

        // Replaying re-derives aborted-index entries past its last intact one; earlier ones are skipped by the index.
        foreach (var raw in readBatchesFrom(_mapEndOffset))
        {
            var batch = ProducerBatch.Read(raw.Span);
            if (batch.LastOffset < _mapEndOffset)
            {
                continue;
            }
            if (batch.BaseOffset >= logEndOffset)
            {
                break;
            }
            RecordAppend(batch);
        }
        _mapEndOffset = logEndOffset;
    }

    /// <summary>
    /// Decides, before offsets are assigned, whether a batch may be appended: Kafka's checks in order — duplicate of
    /// one of the last five batches (same epoch and sequence range), stale epoch (INVALID_PRODUCER_EPOCH), sequence
    /// gap or a new epoch not starting at 0 (OUT_OF_ORDER_SEQUENCE_NUMBER), a plain batch inside an open transaction
    /// (INVALID_TXN_STATE). A producer this partition does not know is accepted at any sequence, as Kafka does since
    /// KIP-360 (its state may have expired).
    /// </summary>
    public ProducerAppendCheck CheckAppend(in ProducerBatch batch, AppendOrigin origin)
    {
        if (batch.IsControl)
        {
            return CheckControlBatch(batch, origin);
        }
        if (!batch.HasProducerId)
        {
            return ProducerAppendCheck.Append(requiresVerification: false);
        }
        if (origin == AppendOrigin.Client && batch.BaseSequence < 0)
        {
            return ProducerAppendCheck.Refuse(ErrorCode.InvalidRecord);
        }
        _producers.TryGetValue(batch.ProducerId, out var entry);
        if (entry is not null)
        {
            if (origin == AppendOrigin.Client
                && entry.TryFindDuplicate(batch.ProducerEpoch, batch.BaseSequence, batch.LastSequence, out var duplicate))
            {
                return ProducerAppendCheck.Duplicate(duplicate.FirstOffset, duplicate.LastOffset, duplicate.Timestamp);
            }
            if (batch.ProducerEpoch < entry.ProducerEpoch)
            {
                return ProducerAppendCheck.Refuse(ErrorCode.InvalidProducerEpoch);
            }
            if (origin == AppendOrigin.Client && !IsInSequence(entry, batch))
            {
                return ProducerAppendCheck.Refuse(ErrorCode.OutOfOrderSequenceNumber);
            }
            if (entry.CurrentTxnFirstOffset is not null && !batch.IsTransactional)
            {
                return ProducerAppendCheck.Refuse(ErrorCode.InvalidTxnState);
            }
        }
        var opensTransaction = batch.IsTransactional && entry?.CurrentTxnFirstOffset is null;
        return ProducerAppendCheck.Append(requiresVerification: opensTransaction);
    }

    /// <summary>
    /// Records a batch the log has just written (with its assigned offsets). A data batch updates its producer and
    /// may open a transaction; a COMMIT/ABORT marker closes the producer's transaction, indexes it when aborted, and
    /// returns it. Call it for every appended batch, with or without a producer id, so <see cref="MapEndOffset"/> follows the log.
    /// </summary>
    public CompletedTransaction? RecordAppend(in ProducerBatch batch)
    {
        _mapEndOffset = Math.Max(_mapEndOffset, batch.LastOffset + 1);
        if (!batch.HasProducerId)
        {
            return null;
        }
        var entry = GetOrCreate(batch.ProducerId);
        entry.LastUpdateMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
        if (!batch.IsControl)
        {
            entry.UpdateEpoch(batch.ProducerEpoch);
            entry.AddBatch(new BatchMetadata(batch.LastSequence, batch.LastOffset, batch.LastOffsetDelta, batch.MaxTimestamp));
            if (batch.IsTransactional && entry.CurrentTxnFirstOffset is null)
            {
                entry.CurrentTxnFirstOffset = batch.BaseOffset;
                _ongoingFirstOffsets.Add(batch.BaseOffset);
                _ongoingOwners[batch.BaseOffset] = batch.ProducerId;
            }
            return null;
        }
        if (batch.Marker is not { } marker)
        {
            return null;
        }

        // A marker for a producer with nothing open here (a re-sent marker after a coordinator restart) only moves the epoch.
        CompletedTransaction? completed = entry.CurrentTxnFirstOffset is { } firstOffset
            ? new CompletedTransaction(batch.ProducerId, firstOffset, batch.BaseOffset, marker.IsAbort)
            : null;
        entry.UpdateEpoch(batch.ProducerEpoch);
        entry.CoordinatorEpoch = marker.CoordinatorEpoch;
        entry.CurrentTxnFirstOffset = null;
        if (completed is { } done)
        {
            if (done.IsAborted)
            {
                var lastStable = LastStableOffsetAtCompletion(done);
                AbortedTransactions.Append(new AbortedTransaction(done.ProducerId, done.FirstOffset, done.LastOffset, lastStable));
            }
            _ongoingFirstOffsets.Remove(done.FirstOffset);
            _ongoingOwners.Remove(done.FirstOffset);
            _unreplicated[done.FirstOffset] = done.LastOffset;
        }
        return completed;
    }

    /// <summary>True when the producer has a transaction open in this partition.</summary>
    public bool HasOngoingTransaction(long producerId) =>
        _producers.TryGetValue(producerId, out var entry) && entry.CurrentTxnFirstOffset is not null;

    /// <summary>The last stable offset: the high watermark, held back by the first unstable offset below it.</summary>
    public long LastStableOffset(long highWatermark) =>
        FirstUnstableOffset is { } first && first < highWatermark ? first : highWatermark;

    /// <summary>Forgets decided transactions whose marker is now below the high watermark, letting the LSO pass them.</summary>
    public void OnHighWatermarkUpdated(long highWatermark)
    {
        if (_unreplicated.Count == 0)
        {
            return;
        }
        List<long>? replicated = null;
        foreach (var (firstOffset, markerOffset) in _unreplicated)
        {
            if (markerOffset < highWatermark)
            {
                (replicated ??= []).Add(firstOffset);
            }
        }
        replicated?.ForEach(firstOffset => _unreplicated.Remove(firstOffset));
    }

    /// <summary>Forgets producers idle for longer than the expiration with no open transaction; returns how many.</summary>
    public int RemoveExpiredProducers()
    {
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        List<long>? expired = null;
        foreach (var (producerId, entry) in _producers)
        {
            if (entry.CurrentTxnFirstOffset is null && now - entry.LastUpdateMs >= _options.ProducerIdExpirationMs)
            {
                (expired ??= []).Add(producerId);
            }
        }
        expired?.ForEach(producerId => _producers.Remove(producerId));
        return expired?.Count ?? 0;
    }

    /// <summary>
    /// Writes a snapshot at <see cref="MapEndOffset"/> unless one exists there (call on segment roll and clean close),
    /// after forcing the aborted index to disk so the snapshot never covers index entries that could still be lost.
    /// </summary>
    public void TakeSnapshot()
    {
        if (_mapEndOffset <= _lastSnapshotOffset && _snapshotOffsets.Contains(_lastSnapshotOffset))
        {
            return;
        }
        AbortedTransactions.FlushToDisk();
        var offset = _mapEndOffset;
        var path = Path.Combine(_directory, ProducerStateSnapshot.FileNameFor(offset));
        AtomicFile.Replace(PhysicalFileSystem.Instance, path, ProducerStateSnapshot.Encode(offset, _producers.Values));
        _snapshotOffsets.Add(offset);
        _lastSnapshotOffset = offset;
        while (_snapshotOffsets.Count > Math.Max(1, _options.SnapshotsToRetain))
        {
            DeleteSnapshot(_snapshotOffsets.Min);
        }
    }

    /// <summary>Deletes snapshots below <paramref name="offset"/> (retention moved the log start past them).</summary>
    public void DeleteSnapshotsBefore(long offset)
    {
        while (_snapshotOffsets.Count > 0 && _snapshotOffsets.Min < offset)
        {
            DeleteSnapshot(_snapshotOffsets.Min);
        }
    }

    /// <summary>Offsets of the snapshot files present, oldest first.</summary>
    public IReadOnlyCollection<long> SnapshotOffsets => _snapshotOffsets;

    /// <inheritdoc />
    public void Dispose() => AbortedTransactions.Dispose();

    /// <summary>The producer's state here, for tests and diagnostics.</summary>
    internal ProducerStateEntry? GetEntry(long producerId) => _producers.GetValueOrDefault(producerId);

    /// <summary>Every producer's state, for tests and diagnostics.</summary>
    internal IReadOnlyCollection<ProducerStateEntry> Producers => _producers.Values;

    private ProducerAppendCheck CheckControlBatch(in ProducerBatch batch, AppendOrigin origin)
    {
        if (origin == AppendOrigin.Client)
        {
            // Kafka: "Clients are not allowed to write control records".
            return ProducerAppendCheck.Refuse(ErrorCode.InvalidRecord);
        }
        if (batch.HasProducerId && _producers.TryGetValue(batch.ProducerId, out var entry))
        {
            if (batch.ProducerEpoch < entry.ProducerEpoch)
            {
                return ProducerAppendCheck.Refuse(ErrorCode.InvalidProducerEpoch);
            }
            if (batch.Marker is { } marker && marker.CoordinatorEpoch < entry.CoordinatorEpoch)
            {
                return ProducerAppendCheck.Refuse(ErrorCode.TransactionCoordinatorFenced);
            }
        }
        return ProducerAppendCheck.Append(requiresVerification: false);
    }

    private static bool IsInSequence(ProducerStateEntry entry, in ProducerBatch batch)
    {
        if (entry.ProducerEpoch == ProducerStateEntry.NoEpoch)
        {
            return true;
        }
        if (batch.ProducerEpoch != entry.ProducerEpoch)
        {
            // A bumped epoch restarts its sequences.
            return batch.BaseSequence == 0;
        }
        var last = entry.LastSequence;
        return batch.BaseSequence == last + 1L || (batch.BaseSequence == 0 && last == int.MaxValue);
    }

    private ProducerStateEntry GetOrCreate(long producerId)
    {
        if (!_producers.TryGetValue(producerId, out var entry))
        {
            entry = new ProducerStateEntry(producerId);
            _producers.Add(producerId, entry);
        }
        return entry;
    }

    /// <summary>The LSO right after <paramref name="completed"/> ends: the first transaction still open by another producer.</summary>
    private long LastStableOffsetAtCompletion(CompletedTransaction completed)
    {
        foreach (var firstOffset in _ongoingFirstOffsets)
        {
            if (_ongoingOwners[firstOffset] != completed.ProducerId)
            {
                return firstOffset;
            }
        }
        return completed.LastOffset + 1;
    }

    private void LoadNewestSnapshot(long logStartOffset, long logEndOffset)
    {
        _snapshotOffsets.Clear();
        foreach (var path in Directory.EnumerateFiles(_directory, "*" + ProducerStateSnapshot.Extension))
        {
            if (ProducerStateSnapshot.OffsetOf(path) is { } offset)
            {
                if (offset > logEndOffset || offset < logStartOffset)
                {
                    File.Delete(path);
                }
                else
                {
                    _snapshotOffsets.Add(offset);
                }
            }
        }
        foreach (var stale in Directory.EnumerateFiles(_directory, "*" + ProducerStateSnapshot.Extension + ".tmp"))
        {
            File.Delete(stale);
        }
        while (_snapshotOffsets.Count > 0)
        {
            var offset = _snapshotOffsets.Max;
            var bytes = File.ReadAllBytes(Path.Combine(_directory, ProducerStateSnapshot.FileNameFor(offset)));
            if (ProducerStateSnapshot.TryDecode(bytes) is { } snapshot && snapshot.Offset == offset)
            {
                foreach (var entry in snapshot.Producers)
                {
                    _producers[entry.ProducerId] = entry;
                    if (entry.CurrentTxnFirstOffset is { } firstOffset)
                    {
                        _ongoingFirstOffsets.Add(firstOffset);
                        _ongoingOwners[firstOffset] = entry.ProducerId;
                    }
                }
                _mapEndOffset = offset;
                _lastSnapshotOffset = offset;
                return;
            }
            DeleteSnapshot(offset);
        }
        _mapEndOffset = logStartOffset;
        _lastSnapshotOffset = logStartOffset;
    }

    private void DeleteSnapshot(long offset)
    {
        _snapshotOffsets.Remove(offset);
        File.Delete(Path.Combine(_directory, ProducerStateSnapshot.FileNameFor(offset)));
    }
}
