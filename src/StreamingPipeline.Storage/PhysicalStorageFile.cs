using Microsoft.Win32.SafeHandles;

namespace StreamingPipeline.Storage;

/// <summary>A file of <see cref="PhysicalFileSystem"/>: a handle used through <see cref="RandomAccess"/>.</summary>
internal sealed class PhysicalStorageFile(string path, SafeFileHandle handle) : IStorageFile
{
    public string Path { get; } = path;

    public long Length => RandomAccess.GetLength(handle);

    public ValueTask<int> ReadAsync(Memory<byte> buffer, long fileOffset, CancellationToken cancellationToken = default) =>
        RandomAccess.ReadAsync(handle, buffer, fileOffset, cancellationToken);

    public int Read(Span<byte> buffer, long fileOffset) => RandomAccess.Read(handle, buffer, fileOffset);

    public ValueTask WriteAsync(ReadOnlyMemory<byte> data, long fileOffset, CancellationToken cancellationToken = default) =>
        RandomAccess.WriteAsync(handle, data, fileOffset, cancellationToken);

    public void Write(ReadOnlySpan<byte> data, long fileOffset) => RandomAccess.Write(handle, data, fileOffset);

    public void SetLength(long length) => RandomAccess.SetLength(handle, length);

    public void FlushToDisk() => RandomAccess.FlushToDisk(handle);

    public void Dispose() => handle.Dispose();
}
