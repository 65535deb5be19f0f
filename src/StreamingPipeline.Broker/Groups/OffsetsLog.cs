using Microsoft.Extensions.Logging;

using StreamingPipeline.Storage;

namespace StreamingPipeline.Broker.Groups;

/// <summary>
/// The append-only file <c>offsets.log</c> that makes committed offsets durable: a <see cref="FramedLog"/> of entries
/// laid out by <see cref="OffsetsLogCodec"/>. Opening replays every whole entry and cuts off a torn or corrupt tail; a
/// rewrite replaces the file with only the latest values through a flushed temporary file and a rename, so a crash
/// leaves either the old or the new file.
/// Not thread-safe: after opening, <see cref="OffsetStore"/>'s writer loop is its only user.
/// </summary>
internal sealed class OffsetsLog : IDisposable
{
    public const string FileName = "offsets.log";

    // The temporary name of a rewrite before the durable-file kit; a leftover one is deleted on open.
    private const string LegacyRewriteFileName = "offsets.log.rewrite";
    private const int RewriteChunkSize = 256 * 1024;

    private readonly FramedLog _log;

    private OffsetsLog(FramedLog log)
    {
        _log = log;
    }

    /// <summary>Bytes of whole entries in the file.</summary>
    public long Length => _log.Length;

    /// <summary>
    /// Opens (or creates) the file in <paramref name="directory"/>, handing every entry to <paramref name="replay"/> in
    /// order; appends are fsynced when <paramref name="flushToDiskOnWrite"/>.
    /// </summary>
    public static async Task<OffsetsLog> OpenAsync(
        string directory,
        Action<OffsetsLogEntry> replay,
        bool flushToDiskOnWrite,
        ILogger logger,
        CancellationToken cancellationToken,
        IFileSystem? fileSystem = null)
    {
        fileSystem ??= PhysicalFileSystem.Instance;
        fileSystem.CreateDirectory(directory);
        fileSystem.DeleteFile(Path.Combine(directory, LegacyRewriteFileName));
        var path = Path.Combine(directory, FileName);
        var log = await FramedLog.OpenAsync(
            fileSystem,
            path,
            (version, payload) => replay(OffsetsLogCodec.ReadFrame(version, payload)),
            flushToDiskOnWrite ? FsyncPolicy.EveryAppend : FsyncPolicy.OnFlush,
            cancellationToken);
        if (log.TruncatedBytes > 0)
        {
            GroupCoordinatorLogMessages.OffsetsLogTailTruncated(logger, path, log.TruncatedBytes, log.Length);
        }
        return new OffsetsLog(log);
    }

    /// <summary>Appends whole frames; on failure the file is cut back so no partial frame stays behind.</summary>
    public ValueTask AppendAsync(ReadOnlyMemory<byte> frames, CancellationToken cancellationToken) =>
        _log.AppendFramesAsync(frames, cancellationToken);

    /// <summary>Replaces the file's content with <paramref name="entries"/>.</summary>
    public Task RewriteAsync(IEnumerable<OffsetsLogEntry> entries, CancellationToken cancellationToken) =>
        _log.RewriteAsync(EncodeInChunks(entries), cancellationToken);

    public void Dispose() => _log.Dispose();

    /// <summary>The entries' frames in chunks of about <see cref="RewriteChunkSize"/>, all from one reused buffer.</summary>
    private static IEnumerable<ReadOnlyMemory<byte>> EncodeInChunks(IEnumerable<OffsetsLogEntry> entries)
    {
        var buffer = new OffsetsLogBuffer(RewriteChunkSize);
        foreach (var entry in entries)
        {
            OffsetsLogCodec.WriteFrame(buffer, entry);
            if (buffer.Length >= RewriteChunkSize)
            {
                yield return buffer.WrittenMemory;
                buffer.Clear();
            }
        }
        yield return buffer.WrittenMemory;
    }
}
