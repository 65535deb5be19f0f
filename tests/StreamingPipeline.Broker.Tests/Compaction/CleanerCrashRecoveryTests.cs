using StreamingPipeline.Broker.Log;

namespace StreamingPipeline.Broker.Tests.Compaction;

/// <summary>
/// The states a crash can leave a cleaning in, built by hand from a real cleaning: a cleaned segment still being
/// written (discarded on open) and a committed swap, whole or half moved into place (completed on open).
/// </summary>
public sealed class CleanerCrashRecoveryTests
{
    [Fact]
    public async Task AHalfWrittenCleanedSegmentIsDiscardedOnOpenAndNeverServed()
    {
        using var original = new TempDirectory();
        using var crashed = new TempDirectory();
        var (before, after, cleanedSegments) = await CleanACopyAsync(original.Path, crashed.Path);
        var partition = Path.Combine(crashed.Path, CompactedLog.Topic + "-0");
        var (baseOffset, endOffset) = cleanedSegments[0];
        var staging = Directory.CreateDirectory(Path.Combine(partition, PartitionLog.CleaningDirectoryName(baseOffset, endOffset))).FullName;
        var cleanedData = File.ReadAllBytes(Path.Combine(original.Path, CompactedLog.Topic + "-0", LogSegment.FileName(baseOffset, LogSegment.LogSuffix)));
        File.WriteAllBytes(Path.Combine(staging, LogSegment.FileName(baseOffset, LogSegment.LogSuffix)), cleanedData[..(cleanedData.Length / 2)]);

        await using var reopened = CompactedLog.Open(crashed.Path);

        Assert.Equal(before, Describe(reopened.ReadAll()));
        Assert.NotEqual(after, before);
        Assert.Empty(Directory.GetDirectories(partition));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ACommittedSwapIsCompletedOnOpen(bool crashedMidway)
    {
        using var original = new TempDirectory();
        using var crashed = new TempDirectory();
        var (_, after, cleanedSegments) = await CleanACopyAsync(original.Path, crashed.Path);
        var partition = Path.Combine(crashed.Path, CompactedLog.Topic + "-0");
        foreach (var (baseOffset, endOffset) in cleanedSegments)
        {
            var swap = Directory.CreateDirectory(Path.Combine(partition, PartitionLog.SwapDirectoryPrefix + $"{baseOffset:D20}-{endOffset:D20}")).FullName;
            foreach (var suffix in new[] { LogSegment.LogSuffix, LogSegment.IndexSuffix, LogSegment.TimeIndexSuffix })
            {
                var name = LogSegment.FileName(baseOffset, suffix);
                File.Copy(Path.Combine(original.Path, CompactedLog.Topic + "-0", name), Path.Combine(swap, name));
            }
            if (crashedMidway)
            {
                // The old segments after the first are already gone and the indexes moved; the data file is not.
                foreach (var old in Directory.GetFiles(partition).Where(f => Covers(f, baseOffset + 1, endOffset)))
                {
                    File.Delete(old);
                }
                File.Move(Path.Combine(swap, LogSegment.FileName(baseOffset, LogSegment.IndexSuffix)), Path.Combine(partition, LogSegment.FileName(baseOffset, LogSegment.IndexSuffix)), overwrite: true);
            }
        }

        await using var reopened = CompactedLog.Open(crashed.Path);

        Assert.Equal(after, Describe(reopened.ReadAll()));
        Assert.Empty(Directory.GetDirectories(partition));
    }

    /// <summary>
    /// Writes a workload into <paramref name="cleanedDirectory"/>, copies it to <paramref name="copyDirectory"/>, then
    /// cleans the first; returns the records before and after and the (base, end) of every cleaned segment.
    /// </summary>
    private static async Task<(string Before, string After, List<(long Base, long End)> Cleaned)> CleanACopyAsync(string cleanedDirectory, string copyDirectory)
    {
        string before;
        await using (var log = CompactedLog.Open(cleanedDirectory))
        {
            LogCleanerTests.WriteRandomWorkload(log, seed: 21, batches: 200, keys: 25);
            before = Describe(log.ReadAll());
        }
        CopyDirectory(cleanedDirectory, copyDirectory);
        await using (var log = CompactedLog.Open(cleanedDirectory))
        {
            var passes = log.CleanUntilIdle();
            var endOffset = Assert.Single(passes).EndOffset;
            var segments = log.Log.Segments;
            var cleaned = new List<(long, long)>();
            for (var i = 0; i < segments.Length - 1 && segments[i].BaseOffset < endOffset; i++)
            {
                cleaned.Add((segments[i].BaseOffset, segments[i + 1].BaseOffset));
            }
            return (before, Describe(log.ReadAll()), cleaned);
        }
    }

    private static bool Covers(string path, long fromOffset, long toOffset)
    {
        var name = Path.GetFileName(path);
        return name.Length > 20 && long.TryParse(name[..20], out var offset) && offset >= fromOffset && offset < toOffset;
    }

    private static string Describe(List<TestRecord> records) =>
        string.Join('\n', records.Select(r => $"{r.Offset}:{(r.Value is null ? "null" : Convert.ToHexString(r.Value))}"));

    private static void CopyDirectory(string source, string target)
    {
        foreach (var directory in Directory.GetDirectories(source, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(directory.Replace(source, target, StringComparison.Ordinal));
        }
        foreach (var file in Directory.GetFiles(source, "*", SearchOption.AllDirectories))
        {
            if (Path.GetFileName(file) != ".lock")
            {
                File.Copy(file, file.Replace(source, target, StringComparison.Ordinal), overwrite: true);
            }
        }
    }
}
