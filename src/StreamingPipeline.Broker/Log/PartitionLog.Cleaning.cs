using System.Globalization;
using Microsoft.Extensions.Logging;
using StreamingPipeline.Broker.Log.Cleaner;
using StreamingPipeline.Storage;

namespace StreamingPipeline.Broker.Log;

// The log cleaner's side: a view of the segments, the producer state it must respect, and the atomic swap of cleaned
// segments (with its recovery on open).
internal sealed partial class PartitionLog
{
    /// <summary>Prefix of the directory where a cleaned segment is written; a leftover one is deleted on open.</summary>
    internal const string CleaningDirectoryPrefix = "cleaning-";

    /// <summary>Prefix of a cleaned segment that is committed but not yet moved into place; open completes the move.</summary>
    internal const string SwapDirectoryPrefix = "swap-";

    /// <summary>The segments as they are now, oldest first, the active one last. The array is never modified.</summary>
    internal LogSegment[] Segments => Volatile.Read(ref _segments);

    /// <summary>The producer state the cleaner must respect, when the partition has one.</summary>
    internal ICleanerProducerState? CleanerProducerState => AppendGuard as ICleanerProducerState;

    /// <summary>The last offsets of every producer's last batch, read under the append lock; empty without producer state.</summary>
    internal HashSet<long> CollectProducerLastBatchOffsets()
    {
        var offsets = new HashSet<long>();
        lock (_appendLock)
        {
            if (!_closed && _appendGuard is ICleanerProducerState state)
            {
                state.CollectLastBatchOffsets(offsets);
            }
        }
        return offsets;
    }

    /// <summary>
    /// Removes the aborted-transaction index entries whose marker is at one of <paramref name="markerOffsets"/>, under
    /// the append lock (the index's single writer); durable when it returns. Throws
    /// <see cref="ObjectDisposedException"/> once the log is closed, so the cleaner does not swap in segments that
    /// dropped markers whose entries may still exist.
    /// </summary>
    internal void RemoveAbortedTransactions(IReadOnlyCollection<long> markerOffsets)
    {
        lock (_appendLock)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            if (_appendGuard is ICleanerProducerState state)
            {
                state.RemoveAbortedTransactions(markerOffsets);
            }
        }
    }

    /// <summary>The directory name in which the cleaner writes the segment replacing [<paramref name="baseOffset"/>, <paramref name="endOffset"/>).</summary>
    internal static string CleaningDirectoryName(long baseOffset, long endOffset) => CleaningDirectoryPrefix + RangeName(baseOffset, endOffset);

    /// <summary>
    /// Replaces the consecutive closed segments <paramref name="replaced"/> with the cleaned segment written (sealed and
    /// fsynced) in <paramref name="stagingDirectory"/>, whose base offset is the first replaced segment's. The commit
    /// point is the rename of the staging directory to <c>swap-&lt;base&gt;-&lt;end&gt;</c>: a crash before it leaves the
    /// old segments (the staging directory is deleted on open), a crash after it is completed on open. Runs under the
    /// append lock, which it holds only for renames and deletes. Returns false (the caller deletes the staging directory)
    /// when the segments changed meanwhile (retention) or the log is closed.
    /// </summary>
    internal bool ReplaceSegments(LogSegment[] replaced, string stagingDirectory)
    {
        ArgumentNullException.ThrowIfNull(replaced);
        if (replaced.Length == 0)
        {
            return false;
        }
        var baseOffset = replaced[0].BaseOffset;
        lock (_appendLock)
        {
            var segments = _segments;
            var start = Array.IndexOf(segments, replaced[0]);
            if (_closed || start < 0 || start + replaced.Length >= segments.Length)
            {
                return false;
            }
            for (var i = 1; i < replaced.Length; i++)
            {
                if (!ReferenceEquals(segments[start + i], replaced[i]))
                {
                    return false;
                }
            }
            var endOffset = segments[start + replaced.Length].BaseOffset;
            var swap = Path.Combine(_directory, SwapDirectoryPrefix + RangeName(baseOffset, endOffset));
            System.IO.Directory.Move(stagingDirectory, swap);
            foreach (var segment in replaced)
            {
                segment.CloseIndexes();
            }
            CompleteSwap(_directory, swap, baseOffset, endOffset);
            var cleaned = LogSegment.OpenSealed(_directory, baseOffset, endOffset, Config.IndexIntervalBytes, _logger);
            Volatile.Write(ref _segments, [.. segments[..start], cleaned, .. segments[(start + replaced.Length)..]]);
        }

        // Readers still holding an old segment get ObjectDisposedException and retry on the new array.
        foreach (var segment in replaced)
        {
            segment.Dispose();
        }
        DirectorySync.Flush(_directory);
        return true;
    }

    /// <summary>
    /// Before the segments are listed on open: deletes cleaned segments that were never committed, and completes the
    /// swaps that were committed but not finished.
    /// </summary>
    private static void RecoverCleaning(string directory, ILogger logger)
    {
        var changed = false;
        foreach (var path in System.IO.Directory.EnumerateDirectories(directory))
        {
            var name = Path.GetFileName(path);
            if (name.StartsWith(CleaningDirectoryPrefix, StringComparison.Ordinal))
            {
                LogMessages.RemovingStrayFile(logger, path, "a cleaned segment that was not committed");
                System.IO.Directory.Delete(path, recursive: true);
                changed = true;
            }
            else if (name.StartsWith(SwapDirectoryPrefix, StringComparison.Ordinal) && TryParseRange(name[SwapDirectoryPrefix.Length..], out var baseOffset, out var endOffset))
            {
                LogCleanerMessages.CompletingSwap(logger, path);
                CompleteSwap(directory, path, baseOffset, endOffset);
                changed = true;
            }
        }
        if (changed)
        {
            DirectorySync.Flush(directory);
        }
    }

    /// <summary>
    /// Moves a committed cleaned segment into place: deletes the old segments with base offsets in
    /// (<paramref name="baseOffset"/>, <paramref name="endOffset"/>), then moves the indexes and finally the data file over
    /// the old segment at <paramref name="baseOffset"/>, then removes the empty swap directory. Every step can be
    /// repeated, so a crash midway is completed by the next open.
    /// </summary>
    private static void CompleteSwap(string directory, string swap, long baseOffset, long endOffset)
    {
        foreach (var path in System.IO.Directory.EnumerateFiles(directory))
        {
            var name = Path.GetFileName(path);
            if (name.Length >= 20
                && long.TryParse(name.AsSpan(0, 20), NumberStyles.None, CultureInfo.InvariantCulture, out var segmentBase)
                && segmentBase > baseOffset
                && segmentBase < endOffset
                && (name.EndsWith(LogSegment.LogSuffix, StringComparison.Ordinal)
                    || name.EndsWith(LogSegment.IndexSuffix, StringComparison.Ordinal)
                    || name.EndsWith(LogSegment.TimeIndexSuffix, StringComparison.Ordinal)))
            {
                File.Delete(path);
            }
        }
        var cleanedData = Path.Combine(swap, LogSegment.FileName(baseOffset, LogSegment.LogSuffix));
        var dataPending = File.Exists(cleanedData);
        foreach (var suffix in (ReadOnlySpan<string>)[LogSegment.IndexSuffix, LogSegment.TimeIndexSuffix])
        {
            var source = Path.Combine(swap, LogSegment.FileName(baseOffset, suffix));
            var target = Path.Combine(directory, LogSegment.FileName(baseOffset, suffix));
            if (File.Exists(source))
            {
                File.Move(source, target, overwrite: true);
            }
            else if (dataPending)
            {
                // The old segment's index must not describe the cleaned data; open rebuilds a missing one.
                File.Delete(target);
            }
        }
        if (dataPending)
        {
            File.Move(cleanedData, Path.Combine(directory, LogSegment.FileName(baseOffset, LogSegment.LogSuffix)), overwrite: true);
        }
        System.IO.Directory.Delete(swap, recursive: true);
    }

    private static string RangeName(long baseOffset, long endOffset) =>
        baseOffset.ToString("D20", CultureInfo.InvariantCulture) + "-" + endOffset.ToString("D20", CultureInfo.InvariantCulture);

    private static bool TryParseRange(string text, out long baseOffset, out long endOffset)
    {
        baseOffset = -1;
        endOffset = -1;
        return text.Length == 41
            && text[20] == '-'
            && long.TryParse(text.AsSpan(0, 20), NumberStyles.None, CultureInfo.InvariantCulture, out baseOffset)
            && long.TryParse(text.AsSpan(21, 20), NumberStyles.None, CultureInfo.InvariantCulture, out endOffset);
    }
}
