using System.Runtime.InteropServices;

namespace StreamingPipeline.Storage;

/// <summary>
/// Fsyncs a directory, so that files created, renamed or deleted in it survive a power loss (POSIX keeps directory
/// entries in the directory, not in the file). .NET cannot open a directory as a file, hence the libc calls.
/// On Windows there is no such call and nothing is done; NTFS journals directory changes.
/// </summary>
public static partial class DirectorySync
{
    private const int ReadOnlyFlag = 0; // O_RDONLY

    /// <summary>
    /// Fsyncs <paramref name="directory"/>. Returns false when that was not possible (no such directory, no libc);
    /// callers go on regardless, because the data itself is already written.
    /// </summary>
    public static bool Flush(string directory)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS() && !OperatingSystem.IsFreeBSD())
        {
            return false;
        }
        try
        {
            var descriptor = NativeMethods.open(directory, ReadOnlyFlag);
            if (descriptor < 0)
            {
                return false;
            }
            try
            {
                return NativeMethods.fsync(descriptor) == 0;
            }
            finally
            {
                _ = NativeMethods.close(descriptor);
            }
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    private static class NativeMethods
    {
        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
#pragma warning disable SYSLIB1054 // LibraryImport would need AllowUnsafeBlocks for its generated stubs; these three calls are trivial.
        internal static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        internal static extern int fsync(int descriptor);

        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        internal static extern int close(int descriptor);
#pragma warning restore SYSLIB1054
    }
}
