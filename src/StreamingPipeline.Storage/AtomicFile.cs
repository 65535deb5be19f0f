namespace StreamingPipeline.Storage;

/// <summary>
/// A file replaced as a whole: the new content goes to a temporary file next to it, which is fsynced, renamed over the
/// old one, and the directory fsynced, so after a crash the file holds either the old or the new content, never a
/// mix. Used raw (<see cref="Replace"/>) or, for a single checksummed record (<see cref="WriteRecord"/>,
/// <see cref="ReadRecord"/>), framed as <see cref="ChecksummedFrame"/>.
/// </summary>
public static class AtomicFile
{
    /// <summary>Suffix of the temporary file; a leftover one is from a write that never reached its rename.</summary>
    public const string TemporarySuffix = ".tmp";

    // File names are limited to 255 bytes; a long name gets a short deterministic temporary name instead.
    private const int MaxNameForSuffixedTemporary = 200;

    /// <summary>
    /// The temporary file a write of <paramref name="path"/> uses: <c>path.tmp</c>, or a short name in the same
    /// directory when the file name is long. Deterministic, so a leftover one is overwritten by the next write.
    /// </summary>
    public static string TemporaryPathFor(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var name = Path.GetFileName(path);
        if (name.Length <= MaxNameForSuffixedTemporary)
        {
            return path + TemporarySuffix;
        }
        var hash = Crc32C.Compute(System.Text.Encoding.UTF8.GetBytes(name));
        return Path.Combine(Path.GetDirectoryName(path) ?? string.Empty, $"{hash:x8}{TemporarySuffix}");
    }

    /// <summary>Replaces the content of <paramref name="path"/> with <paramref name="contents"/>, atomically and durably.</summary>
    public static void Replace(IFileSystem fileSystem, string path, ReadOnlySpan<byte> contents)
    {
        ArgumentNullException.ThrowIfNull(fileSystem);
        var temporary = TemporaryPathFor(path);
        try
        {
            using (var file = fileSystem.Open(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                file.Write(contents, 0);
                file.FlushToDisk();
            }
        }
        catch (IOException)
        {
            TryDelete(fileSystem, temporary);
            throw;
        }
        Publish(fileSystem, temporary, path);
    }

    /// <summary>
    /// Replaces the content of <paramref name="path"/> with <paramref name="contents"/>, atomically and durably.
    /// <paramref name="cancellationToken"/> is checked before the write starts; once it has, it completes.
    /// </summary>
    public static async Task ReplaceAsync(IFileSystem fileSystem, string path, ReadOnlyMemory<byte> contents, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(fileSystem);
        cancellationToken.ThrowIfCancellationRequested();
        var temporary = TemporaryPathFor(path);
        try
        {
            using (var file = fileSystem.Open(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                await file.WriteAsync(contents, 0, CancellationToken.None).ConfigureAwait(false);
                file.FlushToDisk();
            }
        }
        catch (IOException)
        {
            TryDelete(fileSystem, temporary);
            throw;
        }
        Publish(fileSystem, temporary, path);
    }

    /// <summary>Replaces <paramref name="path"/> with one <see cref="ChecksummedFrame"/> holding <paramref name="payload"/>.</summary>
    public static void WriteRecord(IFileSystem fileSystem, string path, short version, ReadOnlySpan<byte> payload) =>
        Replace(fileSystem, path, ChecksummedFrame.Encode(version, payload));

    /// <summary>Replaces <paramref name="path"/> with one <see cref="ChecksummedFrame"/> holding <paramref name="payload"/>.</summary>
    public static Task WriteRecordAsync(IFileSystem fileSystem, string path, short version, ReadOnlySpan<byte> payload, CancellationToken cancellationToken = default) =>
        ReplaceAsync(fileSystem, path, ChecksummedFrame.Encode(version, payload), cancellationToken);

    /// <summary>
    /// Reads the record of <paramref name="path"/>: null when there is no such file, <see cref="InvalidDataException"/>
    /// when it is not exactly one intact frame (the rename makes a torn file impossible, so that is damage).
    /// </summary>
    public static FramedRecord? ReadRecord(IFileSystem fileSystem, string path)
    {
        ArgumentNullException.ThrowIfNull(fileSystem);
        return fileSystem.FileExists(path) ? Decode(path, fileSystem.ReadAllBytes(path)) : null;
    }

    /// <summary>Reads the record of <paramref name="path"/>, as <see cref="ReadRecord"/> does.</summary>
    public static async Task<FramedRecord?> ReadRecordAsync(IFileSystem fileSystem, string path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(fileSystem);
        return fileSystem.FileExists(path) ? Decode(path, await fileSystem.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false)) : null;
    }

    /// <summary>Decodes the bytes of a single-record file; <see cref="InvalidDataException"/> names <paramref name="path"/> when damaged.</summary>
    public static FramedRecord Decode(string path, byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (!ChecksummedFrame.TryRead(bytes, out var version, out var payload, out var frameSize))
        {
            throw new InvalidDataException($"{path} is truncated or fails its CRC check.");
        }
        if (frameSize != bytes.Length)
        {
            throw new InvalidDataException($"{path} has {bytes.Length - frameSize} bytes after its record.");
        }
        return new FramedRecord(version, bytes.AsMemory(ChecksummedFrame.HeaderSize, payload.Length));
    }

    private static void Publish(IFileSystem fileSystem, string temporary, string path)
    {
        fileSystem.Move(temporary, path, overwrite: true);
        fileSystem.SyncDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    private static void TryDelete(IFileSystem fileSystem, string path)
    {
        try
        {
            fileSystem.DeleteFile(path);
        }
        catch (IOException)
        {
            // The write already failed and its caller hears of that; the next write overwrites this file.
        }
    }
}
