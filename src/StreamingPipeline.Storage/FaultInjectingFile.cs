namespace StreamingPipeline.Storage;

/// <summary>A file of <see cref="FaultInjectingFileSystem"/>: asks it before every operation, then uses the real file.</summary>
internal sealed class FaultInjectingFile(FaultInjectingFileSystem fileSystem, IStorageFile inner) : IStorageFile
{
    public string Path => inner.Path;

    public long Length
    {
        get
        {
            fileSystem.ThrowIfCrashed();
            return inner.Length;
        }
    }

    public ValueTask<int> ReadAsync(Memory<byte> buffer, long fileOffset, CancellationToken cancellationToken = default)
    {
        fileSystem.ThrowIfCrashed();
        return inner.ReadAsync(buffer, fileOffset, cancellationToken);
    }

    public int Read(Span<byte> buffer, long fileOffset)
    {
        fileSystem.ThrowIfCrashed();
        return inner.Read(buffer, fileOffset);
    }

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, long fileOffset, CancellationToken cancellationToken = default)
    {
        var allowed = fileSystem.BeforeWrite(Path, data.Length);
        await inner.WriteAsync(data[..allowed], fileOffset, cancellationToken).ConfigureAwait(false);
        if (allowed < data.Length)
        {
            throw fileSystem.CrashAfterTornWrite(Path);
        }
    }

    public void Write(ReadOnlySpan<byte> data, long fileOffset)
    {
        var allowed = fileSystem.BeforeWrite(Path, data.Length);
        inner.Write(data[..allowed], fileOffset);
        if (allowed < data.Length)
        {
            throw fileSystem.CrashAfterTornWrite(Path);
        }
    }

    public void SetLength(long length)
    {
        fileSystem.ThrowIfCrashed();
        inner.SetLength(length);
    }

    public void FlushToDisk()
    {
        fileSystem.ThrowIfCrashed();
        inner.FlushToDisk();
        fileSystem.CountFileFlush();
    }

    public void Dispose() => inner.Dispose();
}
