using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using StreamingPipeline.Broker.Log;
using StreamingPipeline.Broker.Log.Cleaner;

namespace StreamingPipeline.Broker.Tests.Compaction;

/// <summary>
/// A log manager holding one compacted partition, a cleaner that runs only when told, and a model of what was
/// written: the offset and value of every record, so tests can compute what compaction must leave.
/// </summary>
internal sealed class CompactedLog : IAsyncDisposable
{
    public const string Topic = "changelog";

    private int _appends;

    private CompactedLog(LogManager manager, LogCleaner cleaner, TimeProvider time)
    {
        Manager = manager;
        Cleaner = cleaner;
        Time = time;
    }

    public LogManager Manager { get; }

    public LogCleaner Cleaner { get; }

    public TimeProvider Time { get; }

    public PartitionLog Log => Manager.GetPartition(Topic, 0)!;

    /// <summary>The codec (a <see cref="RecordCodec"/> id) of the batches <see cref="Append"/> writes; with <see cref="AlternateCodec"/>, every other batch's.</summary>
    public int Codec { get; set; } = RecordCodec.None;

    /// <summary>When true, <see cref="Append"/> writes every other batch uncompressed, so compressed and uncompressed records supersede each other.</summary>
    public bool AlternateCodec { get; set; }

    /// <summary>Every record appended: offset → (key, value); a null value is a tombstone.</summary>
    public SortedDictionary<long, (string Key, string? Value)> Written { get; } = [];

    /// <summary>Opens <paramref name="directory"/> with a compacted topic of small segments (created on first open).</summary>
    public static CompactedLog Open(
        string directory,
        IReadOnlyDictionary<string, string>? configs = null,
        long mapBytes = 1024 * 1024,
        TimeProvider? time = null,
        double ioBytesPerSecond = double.PositiveInfinity)
    {
        time ??= TimeProvider.System;
        var manager = LogManager.Open(directory, new LogConfig(), time, NullLoggerFactory.Instance);
        if (manager.GetTopic(Topic) is null)
        {
            var settings = new Dictionary<string, string>
            {
                ["cleanup.policy"] = "compact",
                ["segment.bytes"] = "2048",
                ["index.interval.bytes"] = "256",
                ["min.cleanable.dirty.ratio"] = "0.01",
            };
            foreach (var (name, value) in configs ?? new Dictionary<string, string>())
            {
                settings[name] = value;
            }
            var created = manager.CreateTopic(Topic, 1, settings, validateOnly: false);
            Assert.True(created.Succeeded, created.ErrorMessage);
        }
        var cleaner = new LogCleaner(manager, new LogCleanerOptions { DedupeBufferBytes = mapBytes, Enabled = false, IoMaxBytesPerSecond = ioBytesPerSecond }, time, NullLogger.Instance);
        return new CompactedLog(manager, cleaner, time);
    }

    /// <summary>Appends one batch of (key, value) records and remembers them.</summary>
    public void Append(params (string Key, string? Value)[] records)
    {
        var timestamp = Time.GetUtcNow().ToUnixTimeMilliseconds();
        var batch = RecordBatchBuilder.Build(records.Select(r => (Bytes(r.Key), Bytes(r.Value), timestamp)).ToArray());
        if (Codec != RecordCodec.None && !(AlternateCodec && _appends % 2 == 1))
        {
            batch = RecordBatchBuilder.Compress(batch, Codec);
        }
        _appends++;
        var result = Log.Append(batch);
        Assert.True(result.Succeeded, result.ErrorMessage);
        for (var i = 0; i < records.Length; i++)
        {
            Written[result.BaseOffset + i] = records[i];
        }
    }

    /// <summary>Runs cleaner rounds until one finds nothing due; returns the passes.</summary>
    public List<PartitionCleaningResult> CleanUntilIdle(int maxRounds = 100)
    {
        var passes = new List<PartitionCleaningResult>();
        for (var round = 0; round < maxRounds; round++)
        {
            var result = Cleaner.RunRound(CancellationToken.None);
            if (result.Idle)
            {
                return passes;
            }
            passes.AddRange(result.Passes);
        }
        throw new InvalidOperationException($"The cleaner was still busy after {maxRounds} rounds.");
    }

    /// <summary>
    /// Every record in the log, by offset, read fetch after fetch as a consumer does: the next fetch starts after the
    /// last batch's last offset, since compaction may have removed the batch's last records.
    /// </summary>
    public List<TestRecord> ReadAll()
    {
        var records = new List<TestRecord>();
        var offset = Log.LogStartOffset;
        while (offset < Log.LogEndOffset)
        {
            using var read = Log.Read(offset, 4096, Log.HighWatermark, minOneBatch: true);
            Assert.Equal(Protocol.ErrorCode.None, read.Error);
            var bytes = read.Records.Span;
            Assert.True(bytes.Length > 0, $"an empty read at offset {offset}");
            records.AddRange(RecordBatchBuilder.ReadRecords(bytes).Where(r => r.Offset >= offset));
            var position = 0;
            while (position < bytes.Length)
            {
                var header = new RecordBatchHeader(bytes[position..]);
                offset = header.LastOffset + 1;
                position += header.TotalSize;
            }
        }
        return records;
    }

    /// <summary>
    /// The offsets compaction must keep when it cleaned everything below <paramref name="cleanedUpTo"/>: below it, the
    /// latest record of each key (tombstones too unless <paramref name="tombstonesRemoved"/>); from it on, everything.
    /// </summary>
    public SortedSet<long> ExpectedOffsets(long cleanedUpTo, bool tombstonesRemoved)
    {
        var latest = new Dictionary<string, long>();
        foreach (var (offset, (key, _)) in Written.Where(w => w.Key < cleanedUpTo))
        {
            latest[key] = offset;
        }
        var expected = new SortedSet<long>(latest.Values.Where(o => !tombstonesRemoved || Written[o].Value is not null));
        expected.UnionWith(Written.Keys.Where(o => o >= cleanedUpTo));
        return expected;
    }

    /// <summary>The table the written records describe: the latest value per key, deleted keys left out.</summary>
    public Dictionary<string, string> Model()
    {
        var table = new Dictionary<string, string>();
        foreach (var (_, (key, value)) in Written)
        {
            if (value is null)
            {
                table.Remove(key);
            }
            else
            {
                table[key] = value;
            }
        }
        return table;
    }

    /// <summary>The table obtained by replaying <paramref name="records"/> in order, as a state-store restore does.</summary>
    public static Dictionary<string, string> Replay(IEnumerable<TestRecord> records)
    {
        var table = new Dictionary<string, string>();
        foreach (var record in records)
        {
            var key = Encoding.UTF8.GetString(record.Key!);
            if (record.Value is null)
            {
                table.Remove(key);
            }
            else
            {
                table[key] = Encoding.UTF8.GetString(record.Value);
            }
        }
        return table;
    }

    public async ValueTask DisposeAsync()
    {
        await Cleaner.DisposeAsync();
        await Manager.DisposeAsync();
    }

    private static byte[]? Bytes(string? text) => text is null ? null : Encoding.UTF8.GetBytes(text);
}
