namespace StreamingPipeline.Storage;

/// <summary>Whole-file reads over <see cref="IFileSystem"/>.</summary>
public static class FileSystemExtensions
{
    /// <summary>The whole content of the file at <paramref name="path"/>.</summary>
    public static byte[] ReadAllBytes(this IFileSystem fileSystem, string path)
    {
        ArgumentNullException.ThrowIfNull(fileSystem);
        using var file = fileSystem.Open(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var bytes = new byte[file.Length];
        var read = 0;
        while (read < bytes.Length)
        {
            var n = file.Read(bytes.AsSpan(read), read);
            if (n == 0)
            {
                return bytes[..read];
            }
            read += n;
        }
        return bytes;
    }

    /// <summary>The whole content of the file at <paramref name="path"/>.</summary>
    public static async Task<byte[]> ReadAllBytesAsync(this IFileSystem fileSystem, string path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(fileSystem);
        using var file = fileSystem.Open(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var bytes = new byte[file.Length];
        var read = 0;
        while (read < bytes.Length)
        {
            var n = await file.ReadAsync(bytes.AsMemory(read), read, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                return bytes[..read];
            }
            read += n;
        }
        return bytes;
    }
}
