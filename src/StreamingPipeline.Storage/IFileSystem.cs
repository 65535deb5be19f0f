namespace StreamingPipeline.Storage;

/// <summary>
/// The file operations durable files need, so tests can swap in <see cref="FaultInjectingFileSystem"/>. Paths are
/// ordinary OS paths; <see cref="PhysicalFileSystem"/> is the real thing.
/// </summary>
public interface IFileSystem
{
    /// <summary>Opens a file for positional reads and writes.</summary>
    IStorageFile Open(string path, FileMode mode, FileAccess access, FileShare share = FileShare.Read);

    /// <summary>Whether a file exists at <paramref name="path"/>.</summary>
    bool FileExists(string path);

    /// <summary>Deletes a file; nothing happens when there is none.</summary>
    void DeleteFile(string path);

    /// <summary>Creates a directory and its parents when missing.</summary>
    void CreateDirectory(string path);

    /// <summary>Renames <paramref name="source"/> to <paramref name="destination"/>, replacing it atomically when <paramref name="overwrite"/>.</summary>
    void Move(string source, string destination, bool overwrite);

    /// <summary>
    /// Fsyncs a directory, so files created, renamed or deleted in it survive a power loss. Returns false when the
    /// platform cannot (callers go on: the data itself is already written).
    /// </summary>
    bool SyncDirectory(string directory);
}
