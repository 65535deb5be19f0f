namespace StreamingPipeline.Broker.Transactions;

/// <summary>
/// The coordinator's durable state: an append-only file of <see cref="ChecksummedFrame"/>s, each the whole new
/// <see cref="TransactionMetadata"/> of one transactional id (or a tombstone when it expires), so the last entry of an
/// id is its state. Opening reads up to the first torn or corrupt frame, drops the rest, and compacts the file to one
/// entry per live id (written to a temporary file, fsynced, renamed over).
/// Not thread-safe: the <see cref="TransactionCoordinator"/> serialises every call under its lock.
/// </summary>
internal sealed class TransactionLog : IAsyncDisposable
{
    /// <summary>The log's file name inside the coordinator's directory.</summary>
    public const string FileName = "transactions.log";

    private readonly string _path;
    private readonly bool _flushToDisk;
    private FileStream _file;
    private bool _faulted;

    private TransactionLog(string path, bool flushToDisk, FileStream file, int entryCount)
    {
        _path = path;
        _flushToDisk = flushToDisk;
        _file = file;
        EntryCount = entryCount;
    }

    /// <summary>Entries in the file, live or superseded; drives compaction.</summary>
    public int EntryCount { get; private set; }

    /// <summary>Opens the log in <paramref name="directory"/> and returns it with the state of every live transactional id.</summary>
    public static async Task<(TransactionLog Log, Dictionary<string, TransactionMetadata> State)> OpenAsync(
        string directory, bool flushToDisk, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, FileName);
        var state = new Dictionary<string, TransactionMetadata>(StringComparer.Ordinal);
        if (File.Exists(path))
        {
            var bytes = await File.ReadAllBytesAsync(path, cancellationToken);
            var remaining = bytes.AsSpan();
            while (ChecksummedFrame.TryRead(remaining, out var version, out var payload, out var frameSize)
                && version == TransactionMetadataCodec.Version)
            {
                var (id, metadata) = TransactionMetadataCodec.Decode(payload);
                if (metadata is null)
                {
                    state.Remove(id);
                }
                else
                {
                    state[id] = metadata;
                }
                remaining = remaining[frameSize..];
            }
        }
        await WriteCompactedAsync(path, state.Values, cancellationToken);
        return (new TransactionLog(path, flushToDisk, OpenForAppend(path), state.Count), state);
    }

    /// <summary>Appends the new state of a transactional id; durable (to the OS, or to the device with fsync on) when it returns.</summary>
    public ValueTask AppendAsync(TransactionMetadata metadata) =>
        AppendFrameAsync(ChecksummedFrame.Encode(TransactionMetadataCodec.Version, TransactionMetadataCodec.Encode(metadata)));

    /// <summary>Appends the removal of an expired transactional id.</summary>
    public ValueTask AppendTombstoneAsync(string transactionalId) =>
        AppendFrameAsync(ChecksummedFrame.Encode(TransactionMetadataCodec.Version, TransactionMetadataCodec.EncodeTombstone(transactionalId)));

    /// <summary>Rewrites the file to hold only <paramref name="live"/>.</summary>
    public async ValueTask CompactAsync(IReadOnlyCollection<TransactionMetadata> live, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_faulted, this);
        await _file.DisposeAsync();
        await WriteCompactedAsync(_path, live, cancellationToken);
        _file = OpenForAppend(_path);
        EntryCount = live.Count;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await _file.DisposeAsync();

    /// <summary>
    /// Writes one frame. Deliberately not cancellable: a frame cut half-way would hide every later entry from the next
    /// open. If the write fails the file is cut back to where it was; if even that fails the log refuses further writes.
    /// </summary>
    private async ValueTask AppendFrameAsync(byte[] frame)
    {
        if (_faulted)
        {
            throw new IOException($"The transaction log {_path} failed an earlier write; reopen it to recover.");
        }
        var position = _file.Position;
        try
        {
            await _file.WriteAsync(frame);
            await _file.FlushAsync();
            if (_flushToDisk)
            {
                _file.Flush(flushToDisk: true);
            }
        }
        catch (IOException)
        {
            try
            {
                _file.SetLength(position);
                _file.Position = position;
            }
            catch (IOException)
            {
                _faulted = true;
            }
            throw;
        }
        EntryCount++;
    }

    private static async Task WriteCompactedAsync(string path, IEnumerable<TransactionMetadata> live, CancellationToken cancellationToken)
    {
        var temporary = path + ".compacting";
        await using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 64 * 1024, useAsync: true))
        {
            foreach (var metadata in live)
            {
                await file.WriteAsync(ChecksummedFrame.Encode(TransactionMetadataCodec.Version, TransactionMetadataCodec.Encode(metadata)), cancellationToken);
            }
            await file.FlushAsync(cancellationToken);
            file.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
    }

    private static FileStream OpenForAppend(string path)
    {
        var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read, 4096, useAsync: true);
        file.Position = file.Length;
        return file;
    }
}
