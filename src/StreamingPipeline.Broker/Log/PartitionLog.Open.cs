using Microsoft.Extensions.Logging;
using StreamingPipeline.Storage;

namespace StreamingPipeline.Broker.Log;

// Opening a partition: finding its segments, removing stray files and recovering the active segment's tail.
internal sealed partial class PartitionLog
{
    /// <summary>
    /// The file holding the log start offset that DeleteRecords moved (Kafka's log-start-offset-checkpoint, one per
    /// partition here): one <see cref="ChecksummedFrame"/> (version 1) whose payload is the offset as a big-endian i64.
    /// </summary>
    public const string LogStartOffsetFileName = "log-start-offset";

    private const short LogStartOffsetFormatVersion = 1;

    /// <summary>
    /// Opens the partition stored in <paramref name="directory"/> (the partition's own directory, created if missing),
    /// recovering it: stray files are removed, closed segments' indexes are checked and rebuilt if needed, and the
    /// active segment's tail is validated and truncated at the first torn or corrupt batch.
    /// </summary>
    public static PartitionLog Open(string directory, string topic, int partition, LogConfig config, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        System.IO.Directory.CreateDirectory(directory);
        RecoverCleaning(directory, logger);
        var baseOffsets = FindSegments(directory, logger);
        var nowMs = time.GetUtcNow().ToUnixTimeMilliseconds();
        var segments = new List<LogSegment>(Math.Max(1, baseOffsets.Count));
        long logEndOffset;
        try
        {
            if (baseOffsets.Count == 0)
            {
                segments.Add(LogSegment.Create(directory, 0));
                DirectorySync.Flush(directory);
                logEndOffset = 0;
            }
            else
            {
                for (var i = 0; i < baseOffsets.Count - 1; i++)
                {
                    segments.Add(LogSegment.OpenSealed(directory, baseOffsets[i], baseOffsets[i + 1], config.IndexIntervalBytes, logger));
                }
                segments.Add(LogSegment.OpenActive(directory, baseOffsets[^1], config.IndexIntervalBytes, nowMs, logger, out logEndOffset));
            }
        }
        catch
        {
            foreach (var segment in segments)
            {
                segment.Dispose();
            }
            throw;
        }
        long logStartOffset;
        try
        {
            logStartOffset = Math.Min(ReadLogStartOffset(directory), logEndOffset);
        }
        catch
        {
            foreach (var segment in segments)
            {
                segment.Dispose();
            }
            throw;
        }
        var log = new PartitionLog(directory, topic, partition, config, time, logger, [.. segments], logEndOffset, logStartOffset);
        LogMessages.PartitionOpened(logger, topic, partition, segments.Count, log.LogStartOffset, logEndOffset);
        return log;
    }

    private static List<long> FindSegments(string directory, ILogger logger)
    {
        var baseOffsets = new List<long>();
        var strays = new List<(string Path, string Reason)>();
        foreach (var path in System.IO.Directory.EnumerateFiles(directory))
        {
            var name = Path.GetFileName(path);
            if (LogSegment.TryParseBaseOffset(name, out var baseOffset))
            {
                baseOffsets.Add(baseOffset);
            }
        }
        var known = new HashSet<long>(baseOffsets);
        foreach (var path in System.IO.Directory.EnumerateFiles(directory))
        {
            var name = Path.GetFileName(path);
            var isIndex = name.EndsWith(LogSegment.IndexSuffix, StringComparison.Ordinal)
                || name.EndsWith(LogSegment.TimeIndexSuffix, StringComparison.Ordinal);
            if (isIndex
                && (!long.TryParse(name.AsSpan(0, Math.Min(20, name.Length)), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var indexBase)
                    || !known.Contains(indexBase)))
            {
                strays.Add((path, "an index without its segment"));
            }
        }
        foreach (var (path, reason) in strays)
        {
            LogMessages.RemovingStrayFile(logger, path, reason);
            File.Delete(path);
        }
        baseOffsets.Sort();
        return baseOffsets;
    }

    /// <summary>
    /// Reads the log start offset DeleteRecords stored (<see cref="LogStartOffsetFileName"/>), or 0 when it never ran.
    /// </summary>
    private static long ReadLogStartOffset(string directory)
    {
        var path = Path.Combine(directory, LogStartOffsetFileName);
        if (AtomicFile.ReadRecord(PhysicalFileSystem.Instance, path) is not { } record)
        {
            return 0;
        }
        if (record.Version != LogStartOffsetFormatVersion || record.Payload.Length != sizeof(long))
        {
            throw new InvalidDataException($"{path} has format version {record.Version} and {record.Payload.Length} bytes; expected version {LogStartOffsetFormatVersion} with 8.");
        }
        return System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(record.Payload.Span);
    }

    /// <summary>Stores the log start offset atomically and durably (temporary file, fsync, rename, directory fsync).</summary>
    private static void WriteLogStartOffset(string directory, long offset)
    {
        Span<byte> payload = stackalloc byte[sizeof(long)];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(payload, offset);
        AtomicFile.WriteRecord(PhysicalFileSystem.Instance, Path.Combine(directory, LogStartOffsetFileName), LogStartOffsetFormatVersion, payload);
    }
}
