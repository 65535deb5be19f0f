using Microsoft.Extensions.Logging.Abstractions;
using StreamingPipeline.Broker.Log;
using StreamingPipeline.Protocol;

namespace StreamingPipeline.Broker.Tests.Log;

public sealed class LogManagerTests
{
    private static readonly Dictionary<string, string> NoConfigs = [];

    [Fact]
    public async Task ACreatedTopicAndItsDataSurviveAReopen()
    {
        using var dir = new TempDirectory();
        TopicInfo created;
        await using (var manager = Open(dir.Path))
        {
            var result = manager.CreateTopic("user-events", 3, new Dictionary<string, string> { ["retention.ms"] = "60000" }, validateOnly: false);
            Assert.True(result.Succeeded, result.ErrorMessage);
            created = result.Topic!;
            TestLogs.AppendBatch(manager.GetPartition("user-events", 2)!, 4);
        }

        await using var reopened = Open(dir.Path);

        var topic = reopened.GetTopic("user-events");
        Assert.NotNull(topic);
        Assert.Equal(created.TopicId, topic.TopicId);
        Assert.NotEqual(Guid.Empty, topic.TopicId);
        Assert.Equal(3, topic.PartitionCount);
        Assert.Equal(60000, topic.Config.RetentionMs);
        Assert.Equal(new Dictionary<string, string> { ["retention.ms"] = "60000" }, topic.ConfigOverrides);
        Assert.Same(topic, reopened.GetTopic(created.TopicId));
        Assert.Equal(4, reopened.GetPartition("user-events", 2)!.LogEndOffset);
        Assert.Equal(0, reopened.GetPartition("user-events", 0)!.LogEndOffset);
        Assert.Null(reopened.GetPartition("user-events", 3));
        Assert.Equal(60000, reopened.GetPartition("user-events", 1)!.Config.RetentionMs);
        Assert.True(Directory.Exists(Path.Combine(dir.Path, "user-events-2")));
        Assert.True(File.Exists(Path.Combine(dir.Path, "user-events-2", "00000000000000000000.log")));
    }

    [Theory]
    [InlineData("", 1, ErrorCode.InvalidTopicException)]
    [InlineData(".", 1, ErrorCode.InvalidTopicException)]
    [InlineData("..", 1, ErrorCode.InvalidTopicException)]
    [InlineData("has space", 1, ErrorCode.InvalidTopicException)]
    [InlineData("slash/name", 1, ErrorCode.InvalidTopicException)]
    [InlineData("ok", 0, ErrorCode.InvalidPartitions)]
    [InlineData("ok", -3, ErrorCode.InvalidPartitions)]
    [InlineData("existing", 1, ErrorCode.TopicAlreadyExists)]
    [InlineData("dotted_name", 1, ErrorCode.InvalidTopicException)]
    public async Task CreateTopicRefusesWhatKafkaRefuses(string name, int partitions, ErrorCode expected)
    {
        using var dir = new TempDirectory();
        await using var manager = Open(dir.Path);
        Assert.True(manager.CreateTopic("existing", 1, NoConfigs, validateOnly: false).Succeeded);
        Assert.True(manager.CreateTopic("dotted.name", 1, NoConfigs, validateOnly: false).Succeeded);

        var result = manager.CreateTopic(name, partitions, NoConfigs, validateOnly: false);

        Assert.Equal(expected, result.Error);
        Assert.NotNull(result.ErrorMessage);
        Assert.Equal(2, manager.Topics.Count);
    }

    [Fact]
    public async Task TopicNamesLongerThan249CharactersAreRefused()
    {
        using var dir = new TempDirectory();
        await using var manager = Open(dir.Path);

        Assert.Equal(ErrorCode.InvalidTopicException, manager.CreateTopic(new string('a', 250), 1, NoConfigs, false).Error);
        Assert.True(manager.CreateTopic(new string('a', 249), 1, NoConfigs, false).Succeeded);
    }

    [Fact]
    public async Task ABadConfigIsInvalidConfigAndCreatesNothing()
    {
        using var dir = new TempDirectory();
        await using var manager = Open(dir.Path);

        var result = manager.CreateTopic("t", 2, new Dictionary<string, string> { ["cleanup.policy"] = "shrink" }, validateOnly: false);

        Assert.Equal(ErrorCode.InvalidConfig, result.Error);
        Assert.Empty(manager.Topics);
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "t-0")));
    }

    [Fact]
    public async Task ValidateOnlyChecksWithoutCreating()
    {
        using var dir = new TempDirectory();
        await using var manager = Open(dir.Path);

        var result = manager.CreateTopic("t", 2, NoConfigs, validateOnly: true);

        Assert.True(result.Succeeded);
        Assert.Null(manager.GetTopic("t"));
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "t-0")));
    }

    [Fact]
    public async Task ADeletedTopicIsGoneWithItsFilesAndCanBeCreatedAgainEmpty()
    {
        using var dir = new TempDirectory();
        await using (var manager = Open(dir.Path))
        {
            Assert.True(manager.CreateTopic("t", 2, NoConfigs, false).Succeeded);
            var log = manager.GetPartition("t", 0)!;
            TestLogs.AppendBatch(log, 3);

            Assert.Equal(ErrorCode.None, manager.DeleteTopic("t"));

            Assert.Null(manager.GetTopic("t"));
            Assert.Null(manager.GetPartition("t", 0));
            Assert.Equal(ErrorCode.UnknownTopicOrPartition, log.Append(RecordBatchBuilder.Build(1)).Error);
            Assert.Equal(ErrorCode.UnknownTopicOrPartition, manager.DeleteTopic("t"));
            Assert.Equal(["topics"], Directory.GetDirectories(dir.Path).Select(Path.GetFileName));
        }

        await using var reopened = Open(dir.Path);
        Assert.Empty(reopened.Topics);
        Assert.True(reopened.CreateTopic("t", 1, NoConfigs, false).Succeeded);
        Assert.Equal(0, reopened.GetPartition("t", 0)!.LogEndOffset);
    }

    [Fact]
    public async Task PartitionDirectoriesOfNoTopicAreRemovedOnOpen()
    {
        using var dir = new TempDirectory();
        await using (var manager = Open(dir.Path))
        {
            Assert.True(manager.CreateTopic("kept", 1, NoConfigs, false).Succeeded);
        }

        // What a crash leaves: a creation that never wrote its metadata, a deletion that did not finish, a partition
        // past the topic's count.
        Directory.CreateDirectory(Path.Combine(dir.Path, "half-created-0"));
        File.WriteAllBytes(Path.Combine(dir.Path, "half-created-0", "00000000000000000000.log"), new byte[10]);
        Directory.CreateDirectory(Path.Combine(dir.Path, Guid.NewGuid().ToString("N") + ".deleting"));
        Directory.CreateDirectory(Path.Combine(dir.Path, "kept-1"));
        Directory.CreateDirectory(Path.Combine(dir.Path, "not a partition"));

        // Another component's directory that merely looks like a partition is left alone.
        Directory.CreateDirectory(Path.Combine(dir.Path, "groups-0"));
        File.WriteAllText(Path.Combine(dir.Path, "groups-0", "offsets.state"), "theirs");

        await using var reopened = Open(dir.Path);

        Assert.Equal(["groups-0", "kept-0", "not a partition", "topics"], Directory.GetDirectories(dir.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(["kept"], reopened.Topics.Select(t => t.Name));
    }

    [Fact]
    public async Task ADamagedTopicFileStopsTheOpenAndDeletesNothing()
    {
        using var dir = new TempDirectory();
        await using (var manager = Open(dir.Path))
        {
            Assert.True(manager.CreateTopic("t", 1, NoConfigs, false).Succeeded);
            TestLogs.AppendBatch(manager.GetPartition("t", 0)!, 1);
        }
        var metadata = Path.Combine(dir.Path, "topics", "t.topic");
        var bytes = File.ReadAllBytes(metadata);
        bytes[^6] ^= 0x01;
        File.WriteAllBytes(metadata, bytes);

        Assert.Throws<InvalidDataException>(() => Open(dir.Path));

        Assert.True(File.Exists(Path.Combine(dir.Path, "t-0", "00000000000000000000.log")));
    }

    [Fact]
    public async Task ADataDirectoryCanBeOpenedByOneManagerAtATime()
    {
        using var dir = new TempDirectory();
        await using (var manager = Open(dir.Path))
        {
            Assert.Throws<IOException>(() => Open(dir.Path));
        }

        await using var again = Open(dir.Path);
        Assert.Empty(again.Topics);
    }

    [Fact]
    public async Task TheBackgroundLoopAppliesRetention()
    {
        using var dir = new TempDirectory();
        var options = new LogManagerOptions { RetentionCheckInterval = TimeSpan.FromMilliseconds(20) };
        await using var manager = Open(dir.Path, options);
        // Limited by size only: the test batches carry timestamps from 2023, far past the default seven days.
        var limited = new Dictionary<string, string> { ["segment.bytes"] = "1024", ["retention.ms"] = "-1", ["retention.bytes"] = "1024" };
        Assert.True(manager.CreateTopic("t", 1, limited, false).Succeeded);
        var log = manager.GetPartition("t", 0)!;
        for (var i = 0; i < 40; i++)
        {
            TestLogs.AppendBatch(log, 2);
        }

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (log.SegmentCount > 2 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.True(log.SegmentCount <= 2, $"{log.SegmentCount} segments left");
        Assert.True(log.LogStartOffset > 0);
    }

    [Fact]
    public async Task TheBackgroundLoopFlushesOnceFlushMsHasPassed()
    {
        using var dir = new TempDirectory();
        var time = TestLogs.Clock();
        var options = new LogManagerOptions { FlushCheckInterval = TimeSpan.FromMilliseconds(10) };
        await using var manager = Open(dir.Path, options, time);
        Assert.True(manager.CreateTopic("t", 1, new Dictionary<string, string> { ["flush.ms"] = "1000" }, false).Succeeded);
        var log = manager.GetPartition("t", 0)!;
        TestLogs.AppendBatch(log, 2);
        log.FlushIfDue(time.GetUtcNow().ToUnixTimeMilliseconds() + 999);
        Assert.Equal(2, log.UnflushedRecords);

        time.Advance(TimeSpan.FromSeconds(2));

        // The loop's timer runs on the fake clock and may start after the jump above, so keep the clock moving by
        // one tick per poll until the loop has run.
        await Eventually.TrueAsync(
            () =>
            {
                time.Advance(options.FlushCheckInterval);
                return log.UnflushedRecords == 0;
            },
            "the background loop flushes");
    }

    private static LogManager Open(string path, LogManagerOptions? options = null, TimeProvider? time = null) =>
        LogManager.Open(path, new LogConfig(), time ?? TimeProvider.System, NullLoggerFactory.Instance, options);
}
