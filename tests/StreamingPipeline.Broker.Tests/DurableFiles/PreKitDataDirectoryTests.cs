using System.Buffers.Binary;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using StreamingPipeline.Broker.Log;
using StreamingPipeline.Broker.Tests.Log;
using StreamingPipeline.Storage;

namespace StreamingPipeline.Broker.Tests.DurableFiles;

/// <summary>A data directory written before the durable-file kit (version 1 topic and index files) keeps working.</summary>
public sealed class PreKitDataDirectoryTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("pre-kit-data-dir-");

    public void Dispose() => _directory.Delete(recursive: true);

    [Fact]
    public async Task TopicsAndPartitionsInTheOldFormatsOpenAndAreMigrated()
    {
        Guid topicId;
        await using (var manager = Open())
        {
            var created = manager.CreateTopic("events", 1, new Dictionary<string, string> { ["retention.ms"] = "60000" }, validateOnly: false);
            Assert.True(created.Succeeded, created.ErrorMessage);
            topicId = created.Topic!.TopicId;
            for (var i = 0; i < 20; i++)
            {
                TestLogs.AppendBatch(manager.GetPartition("events", 0)!, 5, valueSize: 200);
            }
        }
        var topicFile = Directory.GetFiles(_directory.FullName, "events" + TopicMetadataFile.Suffix, SearchOption.AllDirectories).Single();
        WriteVersionOneTopicFile(topicFile, TopicMetadataFile.Read(topicFile));
        var partitionDirectory = Path.Combine(_directory.FullName, "events-0");
        WriteVersionOneIndex(Path.Combine(partitionDirectory, "00000000000000000000.index"), 0x53504F49, 8);
        WriteVersionOneIndex(Path.Combine(partitionDirectory, "00000000000000000000.timeindex"), 0x53505449, 12);

        await using (var reopened = Open())
        {
            var topic = reopened.GetTopic("events");
            Assert.NotNull(topic);
            Assert.Equal(topicId, topic.TopicId);
            Assert.Equal(60000, topic.Config.RetentionMs);
            var partition = reopened.GetPartition("events", 0)!;
            Assert.Equal(100, partition.LogEndOffset);
            Assert.Equal(Enumerable.Range(50, 50).Select(i => (long)i), TestLogs.ReadAll(partition, 50, maxBytes: 1 << 20).Select(r => r.Offset));
        }

        // The rebuilt indexes were written back in the current format.
        var index = new OffsetIndex(Path.Combine(partitionDirectory, "00000000000000000000.index"), 0);
        Assert.True(index.Load(new FileInfo(Path.Combine(partitionDirectory, "00000000000000000000.log")).Length));
        Assert.True(index.Count > 0);
    }

    private static void WriteVersionOneTopicFile(string path, TopicMetadataFile.Contents contents)
    {
        var configs = string.Join(",", contents.Overrides.Select(p => $"\"{p.Key}\":\"{p.Value}\""));
        var payload = Encoding.UTF8.GetBytes($"{{\"name\":\"{contents.Name}\",\"topicId\":\"{contents.TopicId}\",\"partitions\":{contents.PartitionCount},\"configs\":{{{configs}}}}}");
        var bytes = new byte[10 + payload.Length + 4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, 0x5350544D);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(4), 1);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(6), payload.Length);
        payload.CopyTo(bytes.AsSpan(10));
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(10 + payload.Length), Crc32C.Compute(bytes.AsSpan(0, 10 + payload.Length)));
        File.WriteAllBytes(path, bytes);
    }

    private static void WriteVersionOneIndex(string path, uint magic, int payloadSize)
    {
        var header = new byte[20];
        BinaryPrimitives.WriteUInt32BigEndian(header, magic);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), 1);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(6), (ushort)payloadSize);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(16), Crc32C.Compute(header.AsSpan(0, 16)));
        File.WriteAllBytes(path, header);
    }

    private LogManager Open() => LogManager.Open(_directory.FullName, new LogConfig { IndexIntervalBytes = 512 }, TimeProvider.System, NullLoggerFactory.Instance);
}
