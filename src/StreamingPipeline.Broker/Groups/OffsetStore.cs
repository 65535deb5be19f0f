using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using StreamingPipeline.Broker.Log;
using StreamingPipeline.Protocol;

namespace StreamingPipeline.Broker.Groups;

/// <summary>
/// The durable part of the coordinator: committed and transactionally staged offsets and each group's last recorded
/// generation, kept in memory and in the <see cref="OffsetsLog"/>.
/// </summary>
/// <remarks>
/// One writer loop owns the file. Writers enqueue an entry and get a task that completes once the entry is in the file
/// (and on the disk when <see cref="GroupCoordinatorOptions.FlushToDiskOnWrite"/> is set) and applied in memory, so a
/// fetch after an acknowledged commit sees it. Entries are written and applied in the order they were enqueued; the
/// coordinator enqueues a group's entries under that group's lock, so the file follows the group's own order. The loop
/// also rewrites the file with only its latest values once it has grown large. Readers take a group's
/// <see cref="StoredGroup.Lock"/> briefly; the loop takes no other lock, so it cannot deadlock with a caller.
/// </remarks>
internal sealed class OffsetStore : IAsyncDisposable
{
    private const int MaxEntriesPerWrite = 1024;
    private const int RetainedBufferCapacity = 1024 * 1024;

    private readonly ConcurrentDictionary<string, StoredGroup> _groups = new(StringComparer.Ordinal);
    // Written only by the replay at open and the writer loop.
    private readonly Dictionary<long, HashSet<string>> _groupsByOpenTransaction = [];
    private readonly Channel<PendingWrite> _writes = Channel.CreateUnbounded<PendingWrite>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lock _enqueueLock = new();
    private readonly GroupCoordinatorOptions _options;
    private readonly ILogger _logger;
    private OffsetsLog? _log;
    private long _lastEnqueuedTicket;
    private long _lastAppliedTicket;
    private Task _writerLoop = Task.CompletedTask;
    private long _nextSequence;
    private long _lengthAfterRewrite;

    private OffsetStore(GroupCoordinatorOptions options, ILogger logger)
    {
        _options = options;
        _logger = logger;
    }

    /// <summary>Bytes in the offsets file; read it once writes have quiesced.</summary>
    internal long LogLength => Log.Length;

    private OffsetsLog Log => _log ?? throw new InvalidOperationException("The offset store is not open.");

    /// <summary>Opens the offsets file in <paramref name="directory"/>, replays it, and rewrites it first when it is large.</summary>
    public static async Task<OffsetStore> OpenAsync(string directory, GroupCoordinatorOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        var store = new OffsetStore(options, logger);
        store._log = await OffsetsLog.OpenAsync(directory, store.Apply, options.FlushToDiskOnWrite, logger, cancellationToken);
        try
        {
            if (store.ShouldRewrite())
            {
                await store.RewriteAsync(cancellationToken);
            }
        }
        catch
        {
            store._log.Dispose();
            throw;
        }
        store._writerLoop = Task.Run(store.RunWriterLoopAsync, CancellationToken.None);
        return store;
    }

    /// <summary>
    /// The ticket of the last write enqueued so far. Writes get increasing tickets in the order they are written; read
    /// right after enqueueing a write, this is that write's ticket or a later one.
    /// </summary>
    public long LastEnqueuedTicket => Volatile.Read(ref _lastEnqueuedTicket);

    /// <summary>Whether the write with <paramref name="ticket"/>, and every write before it, has been applied (or has failed).</summary>
    public bool IsApplied(long ticket) => Volatile.Read(ref _lastAppliedTicket) >= ticket;

    /// <summary>The ids of every group the file holds something for.</summary>
    public IReadOnlyCollection<string> GroupIds => [.. _groups.Keys];

    public Task CommitOffsets(string groupId, IReadOnlyList<StoredOffset> offsets) =>
        Enqueue(new OffsetsCommittedEntry(groupId, offsets), awaited: true);

    public Task StageTransactionalOffsets(long producerId, string groupId, IReadOnlyList<StoredOffset> offsets) =>
        Enqueue(new TransactionalOffsetsStagedEntry(producerId, groupId, offsets), awaited: true);

    public Task CompleteTransaction(long producerId, bool committed) =>
        Enqueue(new TransactionCompletedEntry(producerId, committed), awaited: true);

    public Task DeleteOffsets(string groupId, IReadOnlyList<TopicPartition> partitions) =>
        Enqueue(new OffsetsDeletedEntry(groupId, partitions), awaited: true);

    public Task DeleteGroup(string groupId) => Enqueue(new GroupDeletedEntry(groupId), awaited: true);

    /// <summary>Records a group's generation; nobody waits for it (membership is not durable, this only keeps the numbering).</summary>
    public void RecordGroup(string groupId, string? protocolType, int generationId) =>
        _ = Enqueue(new GroupRecordedEntry(groupId, protocolType, generationId), awaited: false);

    /// <summary>Completes once every write enqueued before it is in the file and applied; lets tests wait for background writes.</summary>
    internal Task FlushAsync() => Enqueue(null, awaited: true);

    public bool TryGetGroupRecord(string groupId, out string? protocolType, out int generationId)
    {
        protocolType = null;
        generationId = 0;
        if (!_groups.TryGetValue(groupId, out var group))
        {
            return false;
        }
        lock (group.Lock)
        {
            protocolType = group.ProtocolType;
            generationId = group.GenerationId;
            return group.HasRecord;
        }
    }

    /// <summary>Copies a group's committed offsets into <paramref name="into"/>.</summary>
    public void CopyOffsets(string groupId, List<KeyValuePair<TopicPartition, CommittedOffset>> into)
    {
        if (!_groups.TryGetValue(groupId, out var group))
        {
            return;
        }
        lock (group.Lock)
        {
            into.AddRange(group.Offsets);
        }
    }

    /// <summary>Whether an open transaction staged offsets for the group.</summary>
    public bool HasPendingTransactionalOffsets(string groupId)
    {
        if (!_groups.TryGetValue(groupId, out var group))
        {
            return false;
        }
        lock (group.Lock)
        {
            return group.PendingByProducer.Count > 0;
        }
    }

    /// <summary>Whether an open transaction staged an offset for the partition.</summary>
    public bool HasPendingTransactionalOffset(string groupId, TopicPartition partition)
    {
        if (!_groups.TryGetValue(groupId, out var group))
        {
            return false;
        }
        lock (group.Lock)
        {
            return IsPending(group, partition);
        }
    }

    /// <summary>
    /// The committed offsets of the given partitions, or of every partition with one when <paramref name="partitions"/> is
    /// null. With <paramref name="requireStable"/>, a partition with an offset staged by an open transaction reports
    /// <see cref="ErrorCode.UnstableOffsetCommit"/> so the consumer retries, as Kafka does for read_committed consumers.
    /// </summary>
    public List<OffsetFetchPartitionResult> FetchOffsets(string groupId, IReadOnlyList<TopicPartition>? partitions, bool requireStable)
    {
        var results = new List<OffsetFetchPartitionResult>(partitions?.Count ?? 0);
        if (!_groups.TryGetValue(groupId, out var group))
        {
            foreach (var partition in partitions ?? [])
            {
                results.Add(NoOffset(partition.Topic, partition.Partition, ErrorCode.None));
            }
            return results;
        }
        lock (group.Lock)
        {
            if (partitions is null)
            {
                foreach (var (key, offset) in group.Offsets)
                {
                    results.Add(Fetched(group, key, offset, requireStable));
                }
                return results;
            }
            foreach (var partition in partitions)
            {
                var key = new TopicPartition(partition.Topic, partition.Partition);
                results.Add(group.Offsets.TryGetValue(key, out var offset)
                    ? Fetched(group, key, offset, requireStable)
                    : NoOffset(key.Topic, key.Partition, requireStable && IsPending(group, key) ? ErrorCode.UnstableOffsetCommit : ErrorCode.None));
            }
            return results;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _writes.Writer.TryComplete();
        await _writerLoop;
        _log?.Dispose();
    }

    private static OffsetFetchPartitionResult Fetched(StoredGroup group, TopicPartition key, CommittedOffset offset, bool requireStable) =>
        requireStable && IsPending(group, key)
            ? NoOffset(key.Topic, key.Partition, ErrorCode.UnstableOffsetCommit)
            : new OffsetFetchPartitionResult(key.Topic, key.Partition, offset.Offset, offset.LeaderEpoch, offset.Metadata ?? "", ErrorCode.None);

    private static OffsetFetchPartitionResult NoOffset(string topic, int partition, ErrorCode error) => new(topic, partition, -1, -1, "", error);

    private static bool IsPending(StoredGroup group, TopicPartition partition)
    {
        foreach (var pending in group.PendingByProducer.Values)
        {
            if (pending.ContainsKey(partition))
            {
                return true;
            }
        }
        return false;
    }

    private Task Enqueue(OffsetsLogEntry? entry, bool awaited)
    {
        var completion = awaited ? new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) : null;
        // Tickets are taken and queued under one lock so that the queue's order is the tickets' order.
        lock (_enqueueLock)
        {
            var ticket = _lastEnqueuedTicket + 1;
            if (!_writes.Writer.TryWrite(new PendingWrite(entry, completion, ticket)))
            {
                return awaited ? Task.FromException(new ObjectDisposedException(nameof(OffsetStore))) : Task.CompletedTask;
            }
            Volatile.Write(ref _lastEnqueuedTicket, ticket);
        }
        return completion?.Task ?? Task.CompletedTask;
    }

    private async Task RunWriterLoopAsync()
    {
        var buffer = new OffsetsLogBuffer();
        // Each write with the error that kept it out of the file, if any; they are answered in queue order.
        var batch = new List<(PendingWrite Write, Exception? Error)>();
        var reader = _writes.Reader;
        while (await reader.WaitToReadAsync())
        {
            while (batch.Count < MaxEntriesPerWrite && reader.TryRead(out var write))
            {
                Exception? error = null;
                if (write.Entry is not null)
                {
                    var frameStart = buffer.Length;
                    try
                    {
                        OffsetsLogCodec.WriteFrame(buffer, write.Entry);
                    }
                    catch (InvalidOperationException exception)
                    {
                        // Only an entry beyond the frame limit gets here; it is left out and its writer told why.
                        buffer.Truncate(frameStart);
                        error = exception;
                    }
                }
                batch.Add((write, error));
            }
            if (batch.Count == 0)
            {
                continue;
            }

            Exception? failure = null;
            try
            {
                if (buffer.Length > 0)
                {
                    await Log.AppendAsync(buffer.WrittenMemory, CancellationToken.None);
                }
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or ObjectDisposedException)
            {
                GroupCoordinatorLogMessages.OffsetsLogWriteFailed(_logger, exception);
                failure = exception;
            }
            foreach (var (write, error) in batch)
            {
                var writeError = error ?? failure;
                if (writeError is null && write.Entry is not null)
                {
                    Apply(write.Entry);
                }
                Volatile.Write(ref _lastAppliedTicket, write.Ticket);
                if (writeError is null)
                {
                    write.Completion?.TrySetResult();
                }
                else
                {
                    Fail(write, writeError);
                }
            }
            batch.Clear();
            buffer.Clear();
            if (buffer.Capacity > RetainedBufferCapacity)
            {
                // One unusually large batch should not pin its buffer for the rest of the process.
                buffer = new OffsetsLogBuffer();
            }

            if (failure is null && ShouldRewrite())
            {
                try
                {
                    await RewriteAsync(CancellationToken.None);
                }
                catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
                {
                    // The old file is intact (or was reopened); rewriting is retried after the next write.
                    GroupCoordinatorLogMessages.OffsetsLogRewriteFailed(_logger, exception);
                }
            }
        }
    }

    private void Fail(PendingWrite write, Exception exception)
    {
        if (write.Completion is null)
        {
            GroupCoordinatorLogMessages.UnawaitedOffsetsLogWriteFailed(_logger, write.Entry?.GetType().Name ?? "flush", exception);
        }
        else
        {
            write.Completion.TrySetException(exception);
        }
    }

    private bool ShouldRewrite() =>
        Log.Length >= Math.Max(_options.OffsetsLogCompactionThresholdBytes, 2 * _lengthAfterRewrite);

    private async Task RewriteAsync(CancellationToken cancellationToken)
    {
        var before = Log.Length;
        await Log.RewriteAsync(LatestValues(), cancellationToken);
        _lengthAfterRewrite = Log.Length;
        GroupCoordinatorLogMessages.OffsetsLogRewritten(_logger, before, _lengthAfterRewrite);
    }

    /// <summary>
    /// The entries that rebuild the current state: group records, then every offset in the order it was written, so
    /// that a transaction committing after a reload still loses to a newer plain commit. Consecutive offsets of one
    /// group (or one producer and group) share an entry.
    /// </summary>
    private List<OffsetsLogEntry> LatestValues()
    {
        var records = new List<OffsetsLogEntry>();
        var offsets = new List<(long Sequence, long ProducerId, string GroupId, StoredOffset Offset)>();
        foreach (var (groupId, group) in _groups)
        {
            lock (group.Lock)
            {
                if (group.HasRecord)
                {
                    records.Add(new GroupRecordedEntry(groupId, group.ProtocolType, group.GenerationId));
                }
                foreach (var (key, offset) in group.Offsets)
                {
                    offsets.Add((offset.Sequence, -1, groupId, ToStored(key, offset)));
                }
                foreach (var (producerId, pending) in group.PendingByProducer)
                {
                    foreach (var (key, offset) in pending)
                    {
                        offsets.Add((offset.Sequence, producerId, groupId, ToStored(key, offset)));
                    }
                }
            }
        }
        offsets.Sort(static (a, b) => a.Sequence.CompareTo(b.Sequence));

        var entries = records;
        var run = new List<StoredOffset>();
        for (var i = 0; i < offsets.Count; i++)
        {
            var current = offsets[i];
            run.Add(current.Offset);
            var next = i + 1 < offsets.Count ? offsets[i + 1] : default;
            if (i + 1 < offsets.Count && next.ProducerId == current.ProducerId && next.GroupId == current.GroupId)
            {
                continue;
            }
            entries.Add(current.ProducerId < 0
                ? new OffsetsCommittedEntry(current.GroupId, [.. run])
                : new TransactionalOffsetsStagedEntry(current.ProducerId, current.GroupId, [.. run]));
            run.Clear();
        }
        return entries;
    }

    private static StoredOffset ToStored(TopicPartition key, CommittedOffset offset) =>
        new(key.Topic, key.Partition, offset.Offset, offset.LeaderEpoch, offset.Metadata, offset.CommitTimestampMs);

    /// <summary>Applies an entry that is in the file: during the replay at open, then from the writer loop.</summary>
    private void Apply(OffsetsLogEntry entry)
    {
        switch (entry)
        {
            case OffsetsCommittedEntry committed:
                {
                    var group = _groups.GetOrAdd(committed.GroupId, static _ => new StoredGroup());
                    lock (group.Lock)
                    {
                        foreach (var offset in committed.Offsets)
                        {
                            group.Offsets[new TopicPartition(offset.Topic, offset.Partition)] = ToCommitted(offset);
                        }
                    }
                    break;
                }
            case TransactionalOffsetsStagedEntry staged:
                {
                    var group = _groups.GetOrAdd(staged.GroupId, static _ => new StoredGroup());
                    lock (group.Lock)
                    {
                        if (!group.PendingByProducer.TryGetValue(staged.ProducerId, out var pending))
                        {
                            pending = [];
                            group.PendingByProducer.Add(staged.ProducerId, pending);
                        }
                        foreach (var offset in staged.Offsets)
                        {
                            pending[new TopicPartition(offset.Topic, offset.Partition)] = ToCommitted(offset);
                        }
                    }
                    if (!_groupsByOpenTransaction.TryGetValue(staged.ProducerId, out var groupIds))
                    {
                        groupIds = new HashSet<string>(StringComparer.Ordinal);
                        _groupsByOpenTransaction.Add(staged.ProducerId, groupIds);
                    }
                    groupIds.Add(staged.GroupId);
                    break;
                }
            case TransactionCompletedEntry completed:
                CompleteTransaction(completed);
                break;
            case GroupRecordedEntry recorded:
                {
                    var group = _groups.GetOrAdd(recorded.GroupId, static _ => new StoredGroup());
                    lock (group.Lock)
                    {
                        group.HasRecord = true;
                        group.ProtocolType = recorded.ProtocolType;
                        group.GenerationId = recorded.GenerationId;
                    }
                    break;
                }
            case OffsetsDeletedEntry deleted:
                if (_groups.TryGetValue(deleted.GroupId, out var deletedFrom))
                {
                    lock (deletedFrom.Lock)
                    {
                        foreach (var partition in deleted.Partitions)
                        {
                            deletedFrom.Offsets.Remove(partition);
                        }
                    }
                }
                break;
            case GroupDeletedEntry groupDeleted:
                if (_groups.TryRemove(groupDeleted.GroupId, out var removed))
                {
                    lock (removed.Lock)
                    {
                        foreach (var producerId in removed.PendingByProducer.Keys)
                        {
                            if (_groupsByOpenTransaction.TryGetValue(producerId, out var groupIds) && groupIds.Remove(groupDeleted.GroupId) && groupIds.Count == 0)
                            {
                                _groupsByOpenTransaction.Remove(producerId);
                            }
                        }
                    }
                }
                break;
            default:
                throw new ArgumentException($"Cannot apply {entry.GetType().Name}.", nameof(entry));
        }
    }

    private void CompleteTransaction(TransactionCompletedEntry completed)
    {
        if (!_groupsByOpenTransaction.Remove(completed.ProducerId, out var groupIds))
        {
            return;
        }
        foreach (var groupId in groupIds)
        {
            if (!_groups.TryGetValue(groupId, out var group))
            {
                continue;
            }
            lock (group.Lock)
            {
                if (!group.PendingByProducer.Remove(completed.ProducerId, out var pending) || !completed.Committed)
                {
                    continue;
                }
                foreach (var (key, offset) in pending)
                {
                    // The most recently written offset wins, whether it came from a plain commit or this transaction.
                    if (!group.Offsets.TryGetValue(key, out var existing) || offset.Sequence > existing.Sequence)
                    {
                        group.Offsets[key] = offset;
                    }
                }
            }
        }
    }

    private CommittedOffset ToCommitted(StoredOffset offset) =>
        new(offset.Offset, offset.LeaderEpoch, offset.Metadata, offset.CommitTimestampMs, _nextSequence++);

    /// <summary>An entry to write, or null for a flush marker that only waits for the writes before it.</summary>
    private sealed record PendingWrite(OffsetsLogEntry? Entry, TaskCompletionSource? Completion, long Ticket);
}
