using StreamingPipeline.Storage;

namespace StreamingPipeline.Broker.Transactions;

/// <summary>
/// The coordinator's durable state: a <see cref="FramedLog"/> whose entries are each the whole new
/// <see cref="TransactionMetadata"/> of one transactional id (or a tombstone when it expires), so the last entry of an
/// id is its state. Opening reads up to the first torn or corrupt frame, drops the rest, and compacts the file to one
/// entry per live id (written to a temporary file, fsynced, renamed over).
/// Not thread-safe: the <see cref="TransactionCoordinator"/> serialises every call under its lock.
/// </summary>
internal sealed class TransactionLog : IAsyncDisposable
{
    /// <summary>The log's file name inside the coordinator's directory.</summary>
    public const string FileName = "transactions.log";

    // The temporary name of the compaction before the durable-file kit; a leftover one is deleted on open.
    private const string LegacyCompactionSuffix = ".compacting";

    private readonly FramedLog _log;

    private TransactionLog(FramedLog log, int entryCount)
    {
        _log = log;
        EntryCount = entryCount;
    }

    /// <summary>Entries in the file, live or superseded; drives compaction.</summary>
    public int EntryCount { get; private set; }

    /// <summary>Opens the log in <paramref name="directory"/> and returns it with the state of every live transactional id.</summary>
    public static async Task<(TransactionLog Log, Dictionary<string, TransactionMetadata> State)> OpenAsync(
        string directory, bool flushToDisk, CancellationToken cancellationToken = default, IFileSystem? fileSystem = null)
    {
        fileSystem ??= PhysicalFileSystem.Instance;
        var path = Path.Combine(directory, FileName);
        var state = new Dictionary<string, TransactionMetadata>(StringComparer.Ordinal);
        var unknownVersion = false;
        fileSystem.CreateDirectory(directory);
        fileSystem.DeleteFile(path + LegacyCompactionSuffix);
        var log = await FramedLog.OpenAsync(
            fileSystem,
            path,
            (version, payload) =>
            {
                // Entries after one in an unknown version are not trusted: the state they build on is unknown.
                unknownVersion |= version != TransactionMetadataCodec.Version;
                if (unknownVersion)
                {
                    return;
                }
                var (id, metadata) = TransactionMetadataCodec.Decode(payload);
                if (metadata is null)
                {
                    state.Remove(id);
                }
                else
                {
                    state[id] = metadata;
                }
            },
            flushToDisk ? FsyncPolicy.EveryAppend : FsyncPolicy.OnFlush,
            cancellationToken);
        var opened = new TransactionLog(log, 0);
        try
        {
            await opened.CompactAsync(state.Values, cancellationToken);
        }
        catch
        {
            log.Dispose();
            throw;
        }
        return (opened, state);
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
        await _log.RewriteAsync(
            live.Select(m => (ReadOnlyMemory<byte>)ChecksummedFrame.Encode(TransactionMetadataCodec.Version, TransactionMetadataCodec.Encode(m))),
            cancellationToken);
        EntryCount = live.Count;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _log.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Writes one frame. Deliberately not cancellable: a frame cut half-way would hide every later entry from the next
    /// open. A failed write is cut back; if even that fails the log refuses further writes.
    /// </summary>
    private async ValueTask AppendFrameAsync(byte[] frame)
    {
        await _log.AppendFramesAsync(frame, CancellationToken.None);
        EntryCount++;
    }
}
