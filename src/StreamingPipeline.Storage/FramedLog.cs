namespace StreamingPipeline.Storage;

/// <summary>
/// An append-only file of <see cref="ChecksummedFrame"/>s. Opening replays every whole frame in order and cuts off a
/// torn or corrupt tail; an append that fails is cut back so no partial frame stays behind; a rewrite (compaction)
/// replaces the whole file through <see cref="AtomicFile"/>'s write-then-rename. Appends are fsynced as the
/// <see cref="FsyncPolicy"/> says. Not thread-safe: one owner appends.
/// </summary>
public sealed class FramedLog : IDisposable
{
    private const int ReadChunkSize = 64 * 1024;

    private readonly IFileSystem _fileSystem;
    private IStorageFile _file;
    private long _length;
    private bool _faulted;

    private FramedLog(IFileSystem fileSystem, string path, FsyncPolicy fsyncPolicy, IStorageFile file, long length, long truncatedBytes)
    {
        _fileSystem = fileSystem;
        FilePath = path;
        FsyncPolicy = fsyncPolicy;
        _file = file;
        _length = length;
        TruncatedBytes = truncatedBytes;
    }

    /// <summary>The log file.</summary>
    public string FilePath { get; }

    /// <summary>When appends are fsynced.</summary>
    public FsyncPolicy FsyncPolicy { get; }

    /// <summary>Bytes of whole frames in the file.</summary>
    public long Length => _length;

    /// <summary>Bytes of torn or corrupt tail that opening cut off (0 after a clean shutdown).</summary>
    public long TruncatedBytes { get; }

    /// <summary>
    /// Opens (or creates) the log at <paramref name="path"/>, handing every whole frame to <paramref name="replay"/>
    /// in order and cutting the file after the last one. The file is held exclusively while open. An exception from
    /// <paramref name="replay"/> (say, an unknown version) closes the file and propagates.
    /// </summary>
    public static async Task<FramedLog> OpenAsync(
        IFileSystem fileSystem, string path, FrameReader replay, FsyncPolicy fsyncPolicy = FsyncPolicy.OnFlush, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(fileSystem);
        ArgumentNullException.ThrowIfNull(replay);
        fileSystem.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        // A rewrite that did not reach its rename: the file it was to replace is still whole.
        fileSystem.DeleteFile(AtomicFile.TemporaryPathFor(path));
        // FileShare.None: a second owner of the same file fails here instead of interleaving writes.
        var file = fileSystem.Open(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        try
        {
            var fileLength = file.Length;
            var validLength = await ReplayAsync(file, fileLength, replay, cancellationToken).ConfigureAwait(false);
            if (validLength < fileLength)
            {
                file.SetLength(validLength);
            }
            return new FramedLog(fileSystem, path, fsyncPolicy, file, validLength, fileLength - validLength);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Appends one frame holding <paramref name="payload"/>.</summary>
    public ValueTask AppendAsync(short version, ReadOnlySpan<byte> payload, CancellationToken cancellationToken = default) =>
        AppendFramesAsync(ChecksummedFrame.Encode(version, payload), cancellationToken);

    /// <summary>
    /// Appends bytes that are whole frames already (see <see cref="ChecksummedFrame.Write"/>), in one write. On failure
    /// the file is cut back to where it was; if even that fails the log refuses further appends until reopened, since
    /// a frame left behind would be replayed although its append was reported failed.
    /// </summary>
    public async ValueTask AppendFramesAsync(ReadOnlyMemory<byte> frames, CancellationToken cancellationToken = default)
    {
        if (_faulted)
        {
            throw new IOException($"The log {FilePath} failed an earlier write; reopen it to recover.");
        }
        try
        {
            await _file.WriteAsync(frames, _length, cancellationToken).ConfigureAwait(false);
            if (FsyncPolicy == FsyncPolicy.EveryAppend)
            {
                _file.FlushToDisk();
            }
            _length += frames.Length;
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException)
        {
            try
            {
                _file.SetLength(_length);
            }
            catch (IOException)
            {
                _faulted = true;
            }
            throw;
        }
    }

    /// <summary>Fsyncs appended frames to the device.</summary>
    public void FlushToDisk() => _file.FlushToDisk();

    /// <summary>
    /// Replaces the file's content with <paramref name="frames"/> (chunks of whole frames). Each chunk is written
    /// before the next is asked for, so the producer may reuse one buffer. A crash leaves the old or the new file.
    /// </summary>
    public async Task RewriteAsync(IEnumerable<ReadOnlyMemory<byte>> frames, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(frames);
        var temporary = AtomicFile.TemporaryPathFor(FilePath);
        using (var rewrite = _fileSystem.Open(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            var position = 0L;
            foreach (var chunk in frames)
            {
                await rewrite.WriteAsync(chunk, position, cancellationToken).ConfigureAwait(false);
                position += chunk.Length;
            }
            // Always fsynced, whatever the policy: after the rename this file is the only copy.
            rewrite.FlushToDisk();
        }

        // Closed before the rename, which Windows refuses over an open file.
        _file.Dispose();
        try
        {
            _fileSystem.Move(temporary, FilePath, overwrite: true);
            _fileSystem.SyncDirectory(Path.GetDirectoryName(Path.GetFullPath(FilePath))!);
        }
        catch (IOException)
        {
            // Reopened so the old file, still whole, keeps serving appends.
            TryReopen();
            throw;
        }
        Reopen();
    }

    /// <inheritdoc />
    public void Dispose() => _file.Dispose();

    private static async Task<long> ReplayAsync(IStorageFile file, long fileLength, FrameReader replay, CancellationToken cancellationToken)
    {
        var buffer = new byte[(int)Math.Min(ReadChunkSize, Math.Max(fileLength, ChecksummedFrame.HeaderSize))];
        long bufferPosition = 0;
        var start = 0;
        var end = 0;
        while (true)
        {
            var status = ChecksummedFrame.Inspect(buffer.AsSpan(start, end - start), out var version, out var payload, out var frameSize);
            if (status == FrameStatus.Complete)
            {
                replay(version, payload);
                start += frameSize;
                continue;
            }
            if (status == FrameStatus.Invalid || bufferPosition + start + frameSize > fileLength)
            {
                // Corrupt, or torn (the frame runs past the end of the file): everything from here on is dropped.
                return bufferPosition + start;
            }
            if (start > 0)
            {
                Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                bufferPosition += start;
                end -= start;
                start = 0;
            }
            if (buffer.Length < frameSize)
            {
                Array.Resize(ref buffer, Math.Max(frameSize, buffer.Length * 2));
            }
            var read = await file.ReadAsync(buffer.AsMemory(end), bufferPosition + end, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return bufferPosition + start;
            }
            end += read;
        }
    }

    private void Reopen()
    {
        try
        {
            _file = _fileSystem.Open(FilePath, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            _length = _file.Length;
            _faulted = false;
        }
        catch (IOException)
        {
            _faulted = true;
            throw;
        }
    }

    private void TryReopen()
    {
        try
        {
            Reopen();
        }
        catch (IOException)
        {
            // Stays faulted; the rewrite's own failure is what the caller hears about.
        }
    }
}
