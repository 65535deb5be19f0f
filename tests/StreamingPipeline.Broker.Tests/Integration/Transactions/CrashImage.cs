using System.Diagnostics;

namespace StreamingPipeline.Broker.Tests.Integration.Transactions;

/// <summary>
/// Copies a live broker's data directory: every file as the broker has written it so far (to the page cache), and
/// nothing a clean shutdown would add. That is what a kill -9 at this moment leaves behind.
/// </summary>
internal static class CrashImage
{
    public static void Copy(string source, string destination)
    {
        // cp, not FileStream: the broker holds some files with FileShare.None, which .NET enforces with advisory locks
        // that plain readers do not take.
        var copy = Process.Start(new ProcessStartInfo("cp", ["-a", source + "/.", destination]) { RedirectStandardError = true })
            ?? throw new InvalidOperationException("cp did not start");
        var error = copy.StandardError.ReadToEnd();
        copy.WaitForExit();
        if (copy.ExitCode != 0)
        {
            throw new IOException($"Copying {source} failed: {error}");
        }
    }
}
