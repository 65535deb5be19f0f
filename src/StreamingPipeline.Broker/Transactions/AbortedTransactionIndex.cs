using System.Buffers.Binary;
using StreamingPipeline.Storage;

namespace StreamingPipeline.Broker.Transactions;

/// <summary>
/// The durable list of a partition's aborted transactions (Kafka's <c>.txnindex</c>, one file per partition here),
/// which a read_committed Fetch needs to tell consumers which producers' records to drop. Each entry is one
/// fixed-size <see cref="ChecksummedFrame"/>; entries are in marker-offset order, so a torn tail is cut on open and
/// truncation from an offset is a file truncation.
/// Threading: one writer (the partition's append path, which owns its <see cref="ProducerStateManager"/>) and any
/// number of concurrent readers (Fetch); readers see a consistent list under a short lock. The file is written
/// synchronously because the writer runs under the partition's (synchronous) append lock, where a marker's entry must
/// be in place before the marker's offset is published.
/// </summary>
internal sealed class AbortedTransactionIndex : IDisposable
{
    /// <summary>The index's file name inside a partition directory.</summary>
    public const string FileName = "aborted-transactions.txnindex";

    private const short EntryVersion = 0;
    private const int PayloadSize = 32;
    private const int EntrySize = ChecksummedFrame.HeaderSize + PayloadSize;

    private readonly string _path;
    private readonly bool _flushToDisk;
    private readonly List<AbortedTransaction> _entries;
    private readonly Lock _gate = new();
    private readonly byte[] _writeBuffer = new byte[EntrySize];
    private FileStream _file;

    private AbortedTransactionIndex(string path, bool flushToDisk, List<AbortedTransaction> entries, FileStream file)
    {
        _path = path;
        _flushToDisk = flushToDisk;
        _entries = entries;
        _file = file;
    }

    /// <summary>Number of aborted transactions indexed.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>
    /// Opens (or creates) the index at <paramref name="path"/>, keeping every intact entry and cutting a torn or
    /// corrupt tail. With <paramref name="flushToDisk"/>, each append is fsynced before it returns.
    /// </summary>
    public static AbortedTransactionIndex Open(string path, bool flushToDisk = false)
    {
        var entries = new List<AbortedTransaction>();
        long validLength = 0;
        if (File.Exists(path))
        {
            var bytes = File.ReadAllBytes(path);
            var remaining = bytes.AsSpan();
            while (ChecksummedFrame.TryRead(remaining, out var version, out var payload, out var frameSize)
                && version == EntryVersion
                && payload.Length == PayloadSize)
            {
                var entry = Decode(payload);
                if (entries.Count > 0 && entry.LastOffset <= entries[^1].LastOffset)
                {
                    break;
                }
                entries.Add(entry);
                remaining = remaining[frameSize..];
                validLength += frameSize;
            }
        }
        var file = OpenForAppend(path);
        if (file.Length != validLength)
        {
            file.SetLength(validLength);
            file.Position = validLength;
        }
        return new AbortedTransactionIndex(path, flushToDisk, entries, file);
    }

    /// <summary>
    /// Appends an aborted transaction. An entry whose marker offset is not after the last one is ignored and false is
    /// returned, which makes replaying the log over an index that already holds its entries harmless.
    /// </summary>
    public bool Append(AbortedTransaction entry)
    {
        lock (_gate)
        {
            if (_entries.Count > 0 && entry.LastOffset <= _entries[^1].LastOffset)
            {
                return false;
            }
        }
        Encode(entry, _writeBuffer);
        _file.Write(_writeBuffer);
        _file.Flush();
        if (_flushToDisk)
        {
            _file.Flush(flushToDisk: true);
        }
        lock (_gate)
        {
            _entries.Add(entry);
        }
        return true;
    }

    /// <summary>
    /// The aborted transactions a read_committed Fetch from <paramref name="fetchOffset"/> up to (excluding)
    /// <paramref name="upperBoundOffset"/> must report: those whose marker is at or after the fetch offset and whose
    /// first record is before the upper bound, in marker order.
    /// </summary>
    public IReadOnlyList<AbortedTransaction> GetAbortedTransactions(long fetchOffset, long upperBoundOffset)
    {
        var result = new List<AbortedTransaction>();
        CollectAbortedTransactions(fetchOffset, upperBoundOffset, result);
        return result;
    }

    /// <summary>As <see cref="GetAbortedTransactions"/>, adding into a caller's (reusable) collection.</summary>
    public void CollectAbortedTransactions(long fetchOffset, long upperBoundOffset, ICollection<AbortedTransaction> into)
    {
        lock (_gate)
        {
            for (var i = FirstWithLastOffsetAtLeast(fetchOffset); i < _entries.Count; i++)
            {
                var entry = _entries[i];
                if (entry.FirstOffset < upperBoundOffset)
                {
                    into.Add(entry);
                }
                // Every transaction still open when this one was aborted started at or after its LSO, and every later
                // entry was open then, so none past this point can start below the upper bound.
                if (entry.LastStableOffset >= upperBoundOffset)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Removes the entries whose marker is at or after <paramref name="offset"/> (the log was truncated there).</summary>
    public void TruncateFrom(long offset)
    {
        int keep;
        lock (_gate)
        {
            keep = FirstWithLastOffsetAtLeast(offset);
            if (keep == _entries.Count)
            {
                return;
            }
            _entries.RemoveRange(keep, _entries.Count - keep);
        }
        _file.Flush();
        _file.SetLength((long)keep * EntrySize);
        _file.Position = _file.Length;
        if (_flushToDisk)
        {
            _file.Flush(flushToDisk: true);
        }
    }

    /// <summary>Removes the entries whose marker is before <paramref name="logStartOffset"/> (retention deleted their data).</summary>
    public void RemoveBefore(long logStartOffset)
    {
        List<AbortedTransaction> kept;
        lock (_gate)
        {
            var first = FirstWithLastOffsetAtLeast(logStartOffset);
            if (first == 0)
            {
                return;
            }
            kept = _entries.GetRange(first, _entries.Count - first);
        }
        Rewrite(kept);
    }

    /// <summary>
    /// Removes the entries whose marker is at one of <paramref name="markerOffsets"/> (the log cleaner removed every
    /// batch of those transactions); the file is replaced atomically and durably. Returns how many were removed.
    /// </summary>
    public int Remove(IReadOnlyCollection<long> markerOffsets)
    {
        ArgumentNullException.ThrowIfNull(markerOffsets);
        var removing = markerOffsets as IReadOnlySet<long> ?? new HashSet<long>(markerOffsets);
        List<AbortedTransaction> kept;
        int removed;
        lock (_gate)
        {
            kept = _entries.FindAll(entry => !removing.Contains(entry.LastOffset));
            removed = _entries.Count - kept.Count;
        }
        if (removed == 0)
        {
            return 0;
        }
        Rewrite(kept);
        return removed;
    }

    /// <summary>
    /// Replaces the file and the list with <paramref name="kept"/>: written to a temporary file, fsynced, renamed over
    /// the index, and the directory fsynced, so a crash leaves the old or the new list whole. The caller is the single
    /// writer.
    /// </summary>
    private void Rewrite(List<AbortedTransaction> kept)
    {
        var temporary = _path + ".rewrite";
        using (var rewrite = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            var buffer = new byte[EntrySize];
            foreach (var entry in kept)
            {
                Encode(entry, buffer);
                rewrite.Write(buffer);
            }
            rewrite.Flush(flushToDisk: true);
        }
        _file.Dispose();
        File.Move(temporary, _path, overwrite: true);
        _file = OpenForAppend(_path);
        if (Path.GetDirectoryName(_path) is { Length: > 0 } directory)
        {
            DirectorySync.Flush(directory);
        }
        lock (_gate)
        {
            _entries.Clear();
            _entries.AddRange(kept);
        }
    }

    /// <summary>Forces appended entries to the device (before a producer-state snapshot that relies on them).</summary>
    public void FlushToDisk() => _file.Flush(flushToDisk: true);

    /// <inheritdoc />
    public void Dispose() => _file.Dispose();

    private static FileStream OpenForAppend(string path)
    {
        var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        file.Position = file.Length;
        return file;
    }

    private int FirstWithLastOffsetAtLeast(long offset)
    {
        int low = 0, high = _entries.Count;
        while (low < high)
        {
            var middle = (low + high) >>> 1;
            if (_entries[middle].LastOffset < offset)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }
        return low;
    }

    private static void Encode(AbortedTransaction entry, Span<byte> frame)
    {
        Span<byte> payload = stackalloc byte[PayloadSize];
        BinaryPrimitives.WriteInt64BigEndian(payload, entry.ProducerId);
        BinaryPrimitives.WriteInt64BigEndian(payload[8..], entry.FirstOffset);
        BinaryPrimitives.WriteInt64BigEndian(payload[16..], entry.LastOffset);
        BinaryPrimitives.WriteInt64BigEndian(payload[24..], entry.LastStableOffset);
        ChecksummedFrame.Write(frame, EntryVersion, payload);
    }

    private static AbortedTransaction Decode(ReadOnlySpan<byte> payload) => new(
        BinaryPrimitives.ReadInt64BigEndian(payload),
        BinaryPrimitives.ReadInt64BigEndian(payload[8..]),
        BinaryPrimitives.ReadInt64BigEndian(payload[16..]),
        BinaryPrimitives.ReadInt64BigEndian(payload[24..]));
}
