namespace StreamingPipeline.Storage;

/// <summary>An open file with positional reads and writes, as <see cref="IFileSystem.Open"/> returns it.</summary>
public interface IStorageFile : IDisposable
{
    /// <summary>The file's path.</summary>
    string Path { get; }

    /// <summary>The file's current length in bytes.</summary>
    long Length { get; }

    /// <summary>Reads into <paramref name="buffer"/> from <paramref name="fileOffset"/>; returns the bytes read, 0 at the end.</summary>
    ValueTask<int> ReadAsync(Memory<byte> buffer, long fileOffset, CancellationToken cancellationToken = default);

    /// <summary>Reads into <paramref name="buffer"/> from <paramref name="fileOffset"/>; returns the bytes read, 0 at the end.</summary>
    int Read(Span<byte> buffer, long fileOffset);

    /// <summary>Writes all of <paramref name="data"/> at <paramref name="fileOffset"/>.</summary>
    ValueTask WriteAsync(ReadOnlyMemory<byte> data, long fileOffset, CancellationToken cancellationToken = default);

    /// <summary>Writes all of <paramref name="data"/> at <paramref name="fileOffset"/>.</summary>
    void Write(ReadOnlySpan<byte> data, long fileOffset);

    /// <summary>Cuts or extends the file to <paramref name="length"/> bytes.</summary>
    void SetLength(long length);

    /// <summary>Fsyncs the file's data to the device.</summary>
    void FlushToDisk();
}
