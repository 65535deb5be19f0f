namespace StreamingPipeline.Storage;

/// <summary>
/// An <see cref="IFileSystem"/> for tests that passes everything to a real one (by default
/// <see cref="PhysicalFileSystem"/>) and injects the faults durable files must survive: a write that fails with
/// nothing written, a torn write (a prefix reaches the file, then the process "crashes"), and a crash between a rename
/// and the directory fsync that would have made it durable (the rename is undone, as after a power loss).
/// </summary>
/// <remarks>
/// After a crash every operation throws <see cref="SimulatedCrashException"/> until <see cref="Restart"/>, as if the
/// process had died; the test then reopens its files through this or another file system and checks what survived.
/// A crash keeps written file data (a process crash does not lose the page cache); only directory changes that no
/// directory fsync covered are rolled back. Each fault applies once, to the first matching operation. Thread-safe.
/// </remarks>
public sealed class FaultInjectingFileSystem : IFileSystem
{
    private readonly IFileSystem _inner;
    private readonly Lock _lock = new();
    private readonly List<UnsyncedRename> _unsyncedRenames = [];
    private WriteFault? _writeFault;
    private bool _crashAtNextDirectorySync;
    private bool _crashed;
    private int _writeCount;
    private int _fileFlushCount;
    private int _directorySyncCount;
    private int _renameCount;

    /// <summary>Creates a fault-injecting file system over <paramref name="inner"/> (the real one when null).</summary>
    public FaultInjectingFileSystem(IFileSystem? inner = null)
    {
        _inner = inner ?? PhysicalFileSystem.Instance;
    }

    /// <summary>Whether a simulated crash happened and <see cref="Restart"/> has not been called since.</summary>
    public bool HasCrashed
    {
        get
        {
            lock (_lock)
            {
                return _crashed;
            }
        }
    }

    /// <summary>Writes that reached the file (whole or torn), for asserting what an operation wrote.</summary>
    public int WriteCount => Volatile.Read(ref _writeCount);

    /// <summary>File fsyncs, for asserting an fsync policy.</summary>
    public int FileFlushCount => Volatile.Read(ref _fileFlushCount);

    /// <summary>Directory fsyncs.</summary>
    public int DirectorySyncCount => Volatile.Read(ref _directorySyncCount);

    /// <summary>Renames.</summary>
    public int RenameCount => Volatile.Read(ref _renameCount);

    /// <summary>
    /// Makes the next write to a file whose path ends with <paramref name="pathSuffix"/> (any file when null) throw an
    /// <see cref="IOException"/> without writing anything. The file system keeps working afterwards.
    /// </summary>
    public void FailNextWrite(string? pathSuffix = null) => SetWriteFault(new WriteFault(pathSuffix, BytesKept: -1));

    /// <summary>
    /// Makes the next write to a matching file write only its first <paramref name="bytesKept"/> bytes and then crash
    /// (see <see cref="Crash"/>), as a process killed in the middle of a write leaves it.
    /// </summary>
    public void TearNextWrite(int bytesKept, string? pathSuffix = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytesKept);
        SetWriteFault(new WriteFault(pathSuffix, bytesKept));
    }

    /// <summary>Makes the next directory fsync crash instead, so renames it would have made durable are undone.</summary>
    public void CrashAtNextDirectorySync()
    {
        lock (_lock)
        {
            _crashAtNextDirectorySync = true;
        }
    }

    /// <summary>
    /// Crashes now: every rename not yet covered by a directory fsync of its directory is undone, newest first (the
    /// renamed file is back under its old name and the file it replaced is back), and later operations throw.
    /// </summary>
    public void Crash()
    {
        lock (_lock)
        {
            CrashUnderLock();
        }
    }

    /// <summary>Ends the crashed state and clears pending faults, as a restarted process sees the disk.</summary>
    public void Restart()
    {
        lock (_lock)
        {
            _crashed = false;
            _writeFault = null;
            _crashAtNextDirectorySync = false;
            _unsyncedRenames.Clear();
        }
    }

    /// <inheritdoc />
    public IStorageFile Open(string path, FileMode mode, FileAccess access, FileShare share = FileShare.Read)
    {
        ThrowIfCrashed();
        return new FaultInjectingFile(this, _inner.Open(path, mode, access, share));
    }

    /// <inheritdoc />
    public bool FileExists(string path)
    {
        ThrowIfCrashed();
        return _inner.FileExists(path);
    }

    /// <inheritdoc />
    public void DeleteFile(string path)
    {
        ThrowIfCrashed();
        _inner.DeleteFile(path);
    }

    /// <inheritdoc />
    public void CreateDirectory(string path)
    {
        ThrowIfCrashed();
        _inner.CreateDirectory(path);
    }

    /// <inheritdoc />
    public void Move(string source, string destination, bool overwrite)
    {
        lock (_lock)
        {
            ThrowIfCrashedUnderLock();
            byte[]? replaced = null;
            if (overwrite && _inner.FileExists(destination))
            {
                replaced = ReadAll(destination);
            }
            _inner.Move(source, destination, overwrite);
            _unsyncedRenames.Add(new UnsyncedRename(Path.GetFullPath(source), Path.GetFullPath(destination), replaced));
            _renameCount++;
        }
    }

    /// <inheritdoc />
    public bool SyncDirectory(string directory)
    {
        lock (_lock)
        {
            ThrowIfCrashedUnderLock();
            if (_crashAtNextDirectorySync)
            {
                CrashUnderLock();
                throw new SimulatedCrashException($"Simulated crash before fsyncing the directory {directory}.");
            }
            var fullPath = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
            _unsyncedRenames.RemoveAll(r => string.Equals(Path.GetDirectoryName(r.Destination), fullPath, StringComparison.Ordinal));
            _directorySyncCount++;
            return _inner.SyncDirectory(directory);
        }
    }

    /// <summary>Called by a file before each write: how many of <paramref name="length"/> bytes to write, or throws.</summary>
    internal int BeforeWrite(string path, int length)
    {
        lock (_lock)
        {
            ThrowIfCrashedUnderLock();
            if (_writeFault is not { } fault || (fault.PathSuffix is not null && !path.EndsWith(fault.PathSuffix, StringComparison.Ordinal)))
            {
                _writeCount++;
                return length;
            }
            _writeFault = null;
            if (fault.BytesKept < 0)
            {
                throw new IOException($"Injected write failure on {path}.");
            }
            _writeCount++;
            return Math.Min(fault.BytesKept, length);
        }
    }

    /// <summary>Called by a file after a torn write reached it: the crash that tore it.</summary>
    internal SimulatedCrashException CrashAfterTornWrite(string path)
    {
        Crash();
        return new SimulatedCrashException($"Simulated crash in the middle of a write to {path}.");
    }

    /// <summary>Called by a file before every other operation.</summary>
    internal void ThrowIfCrashed()
    {
        lock (_lock)
        {
            ThrowIfCrashedUnderLock();
        }
    }

    /// <summary>Counts an fsync of a file.</summary>
    internal void CountFileFlush() => Interlocked.Increment(ref _fileFlushCount);

    private void SetWriteFault(WriteFault fault)
    {
        lock (_lock)
        {
            _writeFault = fault;
        }
    }

    private void ThrowIfCrashedUnderLock()
    {
        if (_crashed)
        {
            throw new SimulatedCrashException("The file system crashed (simulated); restart it first.");
        }
    }

    private void CrashUnderLock()
    {
        for (var i = _unsyncedRenames.Count - 1; i >= 0; i--)
        {
            var rename = _unsyncedRenames[i];
            _inner.Move(rename.Destination, rename.Source, overwrite: true);
            if (rename.Replaced is { } replaced)
            {
                using var file = _inner.Open(rename.Destination, FileMode.Create, FileAccess.Write);
                file.Write(replaced, 0);
            }
        }
        _unsyncedRenames.Clear();
        _writeFault = null;
        _crashAtNextDirectorySync = false;
        _crashed = true;
    }

    private byte[] ReadAll(string path)
    {
        using var file = _inner.Open(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var bytes = new byte[file.Length];
        var read = 0;
        while (read < bytes.Length)
        {
            var n = file.Read(bytes.AsSpan(read), read);
            if (n == 0)
            {
                break;
            }
            read += n;
        }
        return bytes[..read];
    }

    private readonly record struct WriteFault(string? PathSuffix, int BytesKept);

    private sealed record UnsyncedRename(string Source, string Destination, byte[]? Replaced);
}
