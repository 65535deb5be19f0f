using System.Text;
using StreamingPipeline.Broker.Groups;
using StreamingPipeline.Broker.Log;
using StreamingPipeline.Protocol;
using StreamingPipeline.Storage;

namespace StreamingPipeline.Broker.Tests.Groups;

public sealed class OffsetsLogRecoveryTests : GroupCoordinatorTestBase
{
    [Fact]
    public async Task TornTailOfTheOffsetsFileIsIgnoredOnRecovery()
    {
        await CommitAsync(("events", 0, 1));
        await Coordinator.FlushOffsetsAsync();
        var lengthAfterFirst = new FileInfo(OffsetsFile).Length;
        await CommitAsync(("events", 0, 2), ("events", 1, 5));

        // A crash in the middle of the second append leaves part of its frame behind.
        await ReopenAsync(() => Truncate(OffsetsFile, new FileInfo(OffsetsFile).Length - 3));

        Assert.Equal(new long[] { 1, -1 }, FetchAll());
        Assert.Equal(lengthAfterFirst, new FileInfo(OffsetsFile).Length);
        await CommitAsync(("events", 1, 9));
        await ReopenAsync();
        Assert.Equal(new long[] { 1, 9 }, FetchAll());
    }

    [Fact]
    public async Task EntryWithABadChecksumEndsRecovery()
    {
        await CommitAsync(("events", 0, 1));
        await CommitAsync(("events", 1, 2));

        await ReopenAsync(() => FlipByte(OffsetsFile, new FileInfo(OffsetsFile).Length - 2));

        Assert.Equal(new long[] { 1, -1 }, FetchAll());
    }

    [Fact]
    public async Task ZerosAfterTheLastEntryAreIgnored()
    {
        await CommitAsync(("events", 0, 1), ("events", 1, 2));
        await Coordinator.FlushOffsetsAsync();
        var length = new FileInfo(OffsetsFile).Length;

        // A file system may leave a zero-filled tail after a crash when the size was updated but the data was not.
        await ReopenAsync(() => Truncate(OffsetsFile, length + 4096));

        Assert.Equal(new long[] { 1, 2 }, FetchAll());
        Assert.Equal(length, new FileInfo(OffsetsFile).Length);
    }

    [Fact]
    public async Task EntryInANewerFormatIsRefusedRatherThanDropped()
    {
        await CommitAsync(("events", 0, 1));
        await Coordinator.DisposeAsync();
        AppendFrame(OffsetsFile, version: 3, payload: [1, 2, 3]);

        var exception = await Assert.ThrowsAsync<InvalidDataException>(OpenAsync);

        Assert.Contains("version 3", exception.Message);
        await ReopenAsync(() => Truncate(OffsetsFile, new FileInfo(OffsetsFile).Length - ChecksummedFrame.SizeFor(3)));
        Assert.Equal(new long[] { 1, -1 }, FetchAll());
    }

    [Fact]
    public async Task OffsetsFileIsRewrittenWithItsLatestValuesWhenItGrowsLarge()
    {
        Options = Options with { OffsetsLogCompactionThresholdBytes = 4096 };
        await ReopenAsync();

        for (var i = 1; i <= 500; i++)
        {
            await CommitAsync(("events", i % 2, i));
        }
        await Coordinator.FlushOffsetsAsync();

        // 500 commits take about 30 KB; the rewrites keep the file near the threshold.
        Assert.InRange(Coordinator.OffsetsLogLength, 1, 2 * 4096);
        await ReopenAsync();
        Assert.Equal(new long[] { 500, 499 }, FetchAll());
    }

    [Fact]
    public async Task LargeFileIsRewrittenWhenOpened()
    {
        for (var i = 1; i <= 300; i++)
        {
            await CommitAsync(("events", 0, i));
        }
        await Coordinator.FlushOffsetsAsync();
        var grown = new FileInfo(OffsetsFile).Length;

        Options = Options with { OffsetsLogCompactionThresholdBytes = 4096 };
        await ReopenAsync();

        Assert.True(new FileInfo(OffsetsFile).Length < grown / 10, $"{new FileInfo(OffsetsFile).Length} bytes after opening, {grown} before");
        Assert.Equal(300, FetchAll()[0]);
        Assert.False(File.Exists(OffsetsFile + ".rewrite"));
    }

    [Fact]
    public async Task RewriteKeepsOpenTransactionsAndWhichCommitCameLast()
    {
        Options = Options with { OffsetsLogCompactionThresholdBytes = 4096 };
        await ReopenAsync();
        await Completed(Coordinator.StageTransactionalOffsetsAsync(7, "group", -1, "", null, [new("events", 0, 100, -1, null)], CancellationToken.None));
        await CommitAsync(("events", 0, 300));
        await Completed(Coordinator.StageTransactionalOffsetsAsync(8, "group", -1, "", null, [new("events", 1, 40, -1, null)], CancellationToken.None));
        for (var i = 0; i < 200; i++)
        {
            await Completed(Coordinator.CommitOffsetsAsync("filler", -1, "", null, [new("events", 0, i, -1, null)], CancellationToken.None));
        }

        await ReopenAsync();
        await Coordinator.CompleteTransactionAsync(7, commit: true, CancellationToken.None);
        await Coordinator.CompleteTransactionAsync(8, commit: true, CancellationToken.None);

        Assert.Equal(new long[] { 300, 40 }, FetchAll());
    }

    [Fact]
    public async Task SecondCoordinatorOnTheSameDirectoryIsRefused()
    {
        await Assert.ThrowsAsync<IOException>(OpenAsync);

        await CommitAsync(("events", 0, 1));
        Assert.Equal(1, FetchAll()[0]);
    }

    [Fact]
    public void Crc32CMatchesTheCastagnoliCheckValue()
    {
        Assert.Equal(0xE3069283u, Crc32C.Compute(Encoding.ASCII.GetBytes("123456789")));
        Assert.Equal(0u, Crc32C.Compute([]));
    }

    private async Task CommitAsync(params (string Topic, int Partition, long Offset)[] offsets)
    {
        var results = await Completed(Coordinator.CommitOffsetsAsync(
            "group", -1, "", null, [.. offsets.Select(o => new OffsetCommitPartition(o.Topic, o.Partition, o.Offset, -1, null))], CancellationToken.None));
        Assert.All(results, result => Assert.Equal(ErrorCode.None, result.Error));
    }

    private long[] FetchAll() =>
        [.. Coordinator.FetchOffsets("group", [new("events", 0), new("events", 1)], requireStable: false).Partitions.Select(p => p.Offset)];

    private static void Truncate(string path, long length)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Write);
        file.SetLength(length);
    }

    private static void FlipByte(string path, long position)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        file.Position = position;
        var value = file.ReadByte();
        file.Position = position;
        file.WriteByte((byte)(value ^ 0xFF));
    }

    /// <summary>Appends a well-formed frame (right length and checksum) whose version and payload the test chooses.</summary>
    private static void AppendFrame(string path, short version, byte[] payload)
    {
        var frame = ChecksummedFrame.Encode(version, payload);
        using var file = new FileStream(path, FileMode.Append, FileAccess.Write);
        file.Write(frame);
    }
}
