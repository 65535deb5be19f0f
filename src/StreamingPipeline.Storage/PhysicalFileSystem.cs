namespace StreamingPipeline.Storage;

/// <summary>The real file system: <see cref="RandomAccess"/> on file handles, <see cref="DirectorySync"/> for directories.</summary>
public sealed class PhysicalFileSystem : IFileSystem
{
    /// <summary>The one instance; it holds no state.</summary>
    public static PhysicalFileSystem Instance { get; } = new();

    private PhysicalFileSystem()
    {
    }

    /// <inheritdoc />
    public IStorageFile Open(string path, FileMode mode, FileAccess access, FileShare share = FileShare.Read) =>
        new PhysicalStorageFile(path, File.OpenHandle(path, mode, access, share, FileOptions.Asynchronous));

    /// <inheritdoc />
    public bool FileExists(string path) => File.Exists(path);

    /// <inheritdoc />
    public void DeleteFile(string path) => File.Delete(path);

    /// <inheritdoc />
    public void CreateDirectory(string path) => Directory.CreateDirectory(path);

    /// <inheritdoc />
    public void Move(string source, string destination, bool overwrite) => File.Move(source, destination, overwrite);

    /// <inheritdoc />
    public bool SyncDirectory(string directory) => DirectorySync.Flush(directory);
}
