using System.Buffers;
using System.Buffers.Binary;
using StreamingPipeline.Storage;

namespace StreamingPipeline.Broker.Log;

/// <summary>
/// A sparse index of one segment, held in memory and mirrored to a file. Entries are appended by the partition's single
/// writer and searched by any number of concurrent readers: an entry is written into the array before the count that
/// makes it visible is published, and a grown array is published before the count, so a reader that reads the count
/// first and the array second always sees complete entries.
/// </summary>
/// <remarks>
/// File format (version 2): a sequence of fixed-size <see cref="ChecksummedFrame"/>s, big-endian. The first holds the
/// header <c>magic u32 | entry payload size u16 | segment base offset i64</c>; each later one holds one entry's payload.
/// Each entry carries its own CRC so the file can be appended to and a torn or stale tail is recognised on load.
/// The file is a cache: entries are written in groups, fsynced on flush and seal, and a missing or damaged file is
/// rebuilt from the segment, so nothing depends on it being current. That is also how a version 1 file (a 20-byte
/// header starting with the magic, entries of payload and CRC) is migrated: its header is not a frame, so it is
/// rebuilt and rewritten in version 2.
/// </remarks>
internal abstract class SparseIndex<TEntry>
    where TEntry : struct
{
    /// <summary>Bytes before the first entry: the header frame.</summary>
    internal const int HeaderSize = ChecksummedFrame.HeaderSize + HeaderPayloadSize;

    private const short FormatVersion = 2;
    private const int HeaderPayloadSize = 4 + 2 + 8;

    private readonly IFileSystem _fileSystem;
    private readonly uint _magic;
    private readonly int _payloadSize;
    private readonly Lock _fileLock = new();
    private TEntry[] _entries = new TEntry[16];
    private int _count;
    private int _persistedCount;
    private bool _fileNeedsRewrite = true;
    private bool _closed;

    protected SparseIndex(string path, long baseOffset, uint magic, int payloadSize, IFileSystem? fileSystem = null)
    {
        _fileSystem = fileSystem ?? PhysicalFileSystem.Instance;
        FilePath = path;
        BaseOffset = baseOffset;
        _magic = magic;
        _payloadSize = payloadSize;
    }

    /// <summary>The index file.</summary>
    public string FilePath { get; }

    /// <summary>The base offset of the segment this index belongs to.</summary>
    public long BaseOffset { get; }

    /// <summary>Entries visible to readers.</summary>
    public int Count => Volatile.Read(ref _count);

    private int EntrySize => ChecksummedFrame.SizeFor(_payloadSize);

    /// <summary>A consistent view of the entries for a reader: the count is read before the array.</summary>
    protected ReadOnlySpan<TEntry> Entries
    {
        get
        {
            var count = Volatile.Read(ref _count);
            var entries = Volatile.Read(ref _entries);
            return entries.AsSpan(0, count);
        }
    }

    /// <summary>
    /// Loads the file's entries, keeping the longest prefix whose entries pass their CRC and <paramref name="follows"/>
    /// (given the previous entry, or null for the first). Nothing is loaded when the file is missing or its header is
    /// wrong. Returns true only when every entry in the file was kept.
    /// </summary>
    public bool Load(Func<TEntry?, TEntry, bool> follows)
    {
        _count = 0;
        _persistedCount = 0;
        _fileNeedsRewrite = true;
        if (!_fileSystem.FileExists(FilePath))
        {
            return false;
        }
        var bytes = _fileSystem.ReadAllBytes(FilePath);
        if (!IsHeaderValid(bytes))
        {
            return false;
        }
        var complete = (bytes.Length - HeaderSize) % EntrySize == 0;
        TEntry? previous = null;
        for (var position = HeaderSize; position + EntrySize <= bytes.Length; position += EntrySize)
        {
            if (!ChecksummedFrame.TryRead(bytes.AsSpan(position, EntrySize), out var version, out var payload, out _)
                || version != FormatVersion || payload.Length != _payloadSize)
            {
                complete = false;
                break;
            }
            var entry = Decode(payload);
            if (!follows(previous, entry))
            {
                complete = false;
                break;
            }
            AddToMemory(entry);
            previous = entry;
        }
        _persistedCount = _count;
        _fileNeedsRewrite = !complete;
        return complete;
    }

    /// <summary>Adds an entry; the writer calls this under the partition's append lock.</summary>
    public void Append(in TEntry entry) => AddToMemory(entry);

    /// <summary>Entries appended since the file was last written.</summary>
    public int PendingCount => _count - Volatile.Read(ref _persistedCount);

    /// <summary>Drops entries from <paramref name="count"/> on; only while no reader can see this index (recovery).</summary>
    public void TruncateTo(int count)
    {
        if (count >= _count)
        {
            return;
        }
        lock (_fileLock)
        {
            Volatile.Write(ref _count, count);
            _persistedCount = Math.Min(_persistedCount, count);
            _fileNeedsRewrite = true;
        }
    }

    /// <summary>Drops every entry, as before a rebuild.</summary>
    public void Clear() => TruncateTo(0);

    /// <summary>Writes entries not yet in the file (the whole file if it must be rewritten), optionally fsyncing it.</summary>
    public void Persist(bool flushToDisk)
    {
        lock (_fileLock)
        {
            var count = Volatile.Read(ref _count);
            var entries = Volatile.Read(ref _entries);
            if (_closed || (!_fileNeedsRewrite && count == _persistedCount && !flushToDisk))
            {
                return;
            }
            var rewrite = _fileNeedsRewrite;
            var first = rewrite ? 0 : _persistedCount;
            var length = (rewrite ? HeaderSize : 0) + ((count - first) * EntrySize);
            var rented = ArrayPool<byte>.Shared.Rent(length);
            var bytes = rented.AsSpan(0, length);
            var position = 0;
            if (rewrite)
            {
                WriteHeader(bytes);
                position = HeaderSize;
            }
            for (var i = first; i < count; i++)
            {
                var frame = bytes.Slice(position, EntrySize);
                BinaryPrimitives.WriteInt16BigEndian(frame[(ChecksummedFrame.HeaderSize - 2)..], FormatVersion);
                Encode(entries[i], frame[ChecksummedFrame.HeaderSize..]);
                ChecksummedFrame.Seal(frame);
                position += EntrySize;
            }
            try
            {
                using var file = _fileSystem.Open(FilePath, rewrite ? FileMode.Create : FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
                var fileOffset = rewrite ? 0 : HeaderSize + ((long)first * EntrySize);
                file.Write(bytes, fileOffset);
                if (!rewrite)
                {
                    file.SetLength(fileOffset + length);
                }
                if (flushToDisk)
                {
                    file.FlushToDisk();
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
            _persistedCount = count;
            _fileNeedsRewrite = false;
        }
    }

    /// <summary>
    /// Stops all writes to the file; waits for one in progress. After this nothing touches the file, so its directory
    /// can be deleted.
    /// </summary>
    public void Close()
    {
        lock (_fileLock)
        {
            _closed = true;
        }
    }

    /// <summary>Closes the index and deletes its file if it exists.</summary>
    public void DeleteFile()
    {
        lock (_fileLock)
        {
            _closed = true;
            _fileSystem.DeleteFile(FilePath);
        }
    }

    protected abstract void Encode(in TEntry entry, Span<byte> payload);

    protected abstract TEntry Decode(ReadOnlySpan<byte> payload);

    private void AddToMemory(in TEntry entry)
    {
        var entries = _entries;
        var count = _count;
        if (count == entries.Length)
        {
            var grown = new TEntry[entries.Length * 2];
            entries.AsSpan(0, count).CopyTo(grown);
            entries = grown;
            Volatile.Write(ref _entries, grown);
        }
        entries[count] = entry;
        Volatile.Write(ref _count, count + 1);
    }

    private void WriteHeader(Span<byte> header)
    {
        Span<byte> payload = stackalloc byte[HeaderPayloadSize];
        BinaryPrimitives.WriteUInt32BigEndian(payload, _magic);
        BinaryPrimitives.WriteUInt16BigEndian(payload[4..], (ushort)_payloadSize);
        BinaryPrimitives.WriteInt64BigEndian(payload[6..], BaseOffset);
        ChecksummedFrame.Write(header, FormatVersion, payload);
    }

    private bool IsHeaderValid(ReadOnlySpan<byte> bytes) =>
        ChecksummedFrame.TryRead(bytes, out var version, out var payload, out var frameSize)
        && frameSize == HeaderSize
        && version == FormatVersion
        && BinaryPrimitives.ReadUInt32BigEndian(payload) == _magic
        && BinaryPrimitives.ReadUInt16BigEndian(payload[4..]) == _payloadSize
        && BinaryPrimitives.ReadInt64BigEndian(payload[6..]) == BaseOffset;
}
