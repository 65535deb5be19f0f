using Microsoft.Extensions.Logging.Abstractions;
using StreamingPipeline.Broker.Log;

namespace StreamingPipeline.Broker.Tests.Log;

/// <summary>Shortcuts for opening logs and appending test batches.</summary>
internal static class TestLogs
{
    /// <summary>Small segments and a dense index so that tests cross segments and index entries quickly.</summary>
    public static LogConfig Small { get; } = new() { SegmentBytes = 1024, IndexIntervalBytes = 128 };

    /// <summary>A fake clock that starts where <see cref="RecordBatchBuilder"/>'s default timestamps do.</summary>
    public static FakeTimeProvider Clock() => new(DateTimeOffset.FromUnixTimeMilliseconds(RecordBatchBuilder.DefaultTimestamp));

    public static PartitionLog Open(string directory, LogConfig? config = null, TimeProvider? time = null) =>
        PartitionLog.Open(directory, "events", 0, config ?? Small, time ?? Clock(), NullLogger.Instance);

    /// <summary>Appends a fresh batch of <paramref name="count"/> records and asserts it was accepted.</summary>
    public static LogAppendResult AppendBatch(PartitionLog log, int count, long firstTimestamp = RecordBatchBuilder.DefaultTimestamp, string prefix = "v", int valueSize = 16)
    {
        var result = log.Append(RecordBatchBuilder.Build(count, firstTimestamp, prefix: prefix, valueSize: valueSize));
        Assert.True(result.Succeeded, result.ErrorMessage);
        return result;
    }

    /// <summary>Reads from <paramref name="fromOffset"/> to the end, fetch after fetch, decoding every record.</summary>
    public static List<TestRecord> ReadAll(PartitionLog log, long fromOffset, int maxBytes = 300)
    {
        var records = new List<TestRecord>();
        var offset = fromOffset;
        while (offset < log.LogEndOffset)
        {
            using var read = log.Read(offset, maxBytes, log.HighWatermark, minOneBatch: true);
            Assert.Equal(Protocol.ErrorCode.None, read.Error);
            var batch = RecordBatchBuilder.ReadRecords(read.Records.Span);
            Assert.NotEmpty(batch);
            records.AddRange(batch.Where(r => r.Offset >= offset));
            offset = batch[^1].Offset + 1;
        }
        return records;
    }

    /// <summary>The data files of a partition directory, oldest first.</summary>
    public static string[] SegmentFiles(string directory) =>
        Directory.GetFiles(directory, "*.log").Order(StringComparer.Ordinal).ToArray();
}
