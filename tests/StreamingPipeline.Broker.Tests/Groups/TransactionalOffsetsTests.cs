using StreamingPipeline.Broker.Groups;
using StreamingPipeline.Protocol;

namespace StreamingPipeline.Broker.Tests.Groups;

public sealed class TransactionalOffsetsTests : GroupCoordinatorTestBase
{
    private const long ProducerId = 4000;

    [Fact]
    public async Task StagedOffsetsBecomeVisibleWhenTheTransactionCommits()
    {
        var member = (await FormStableGroupAsync("processor", "c1"))[0];

        var staged = await StageAsync(ProducerId, member, "processor", ("input", 0, 100));

        Assert.Equal(ErrorCode.None, staged.Single().Error);
        Assert.Equal(
            new OffsetFetchPartitionResult("input", 0, -1, -1, "", ErrorCode.UnstableOffsetCommit),
            Fetch("processor", requireStable: true));
        Assert.Equal(-1, Fetch("processor", requireStable: false).Offset);

        Assert.Equal(ErrorCode.None, await Completed(Coordinator.CompleteTransactionAsync(ProducerId, commit: true, CancellationToken.None)));

        Assert.Equal(new OffsetFetchPartitionResult("input", 0, 100, -1, "", ErrorCode.None), Fetch("processor", requireStable: true));
    }

    [Fact]
    public async Task StagedOffsetsAreDroppedWhenTheTransactionAborts()
    {
        var member = (await FormStableGroupAsync("processor", "c1"))[0];
        await StageAsync(ProducerId, member, "processor", ("input", 0, 100));
        await Coordinator.CompleteTransactionAsync(ProducerId, commit: true, CancellationToken.None);
        await StageAsync(ProducerId, member, "processor", ("input", 0, 250));

        await Coordinator.CompleteTransactionAsync(ProducerId, commit: false, CancellationToken.None);

        Assert.Equal(new OffsetFetchPartitionResult("input", 0, 100, -1, "", ErrorCode.None), Fetch("processor", requireStable: true));
    }

    [Fact]
    public async Task PlainCommitAfterTheStagingWinsOverTheTransaction()
    {
        var member = (await FormStableGroupAsync("processor", "c1"))[0];
        await StageAsync(ProducerId, member, "processor", ("input", 0, 100));
        await Completed(Coordinator.CommitOffsetsAsync(
            "processor", member.GenerationId, member.MemberId, null, [new("input", 0, 300, -1, null)], CancellationToken.None));

        await Coordinator.CompleteTransactionAsync(ProducerId, commit: true, CancellationToken.None);

        Assert.Equal(300, Fetch("processor", requireStable: true).Offset);
    }

    [Fact]
    public async Task StagingIsFencedByTheGroupGeneration()
    {
        var member = (await FormStableGroupAsync("processor", "c1"))[0];

        var zombie = await Completed(Coordinator.StageTransactionalOffsetsAsync(
            ProducerId, "processor", member.GenerationId - 1, member.MemberId, null, [new("input", 0, 1, -1, null)], CancellationToken.None));
        var stranger = await Completed(Coordinator.StageTransactionalOffsetsAsync(
            ProducerId, "processor", member.GenerationId, "stranger", null, [new("input", 0, 1, -1, null)], CancellationToken.None));
        // Old producers (TxnOffsetCommit v0-v2) send neither member nor generation.
        var withoutGroupMetadata = await Completed(Coordinator.StageTransactionalOffsetsAsync(
            ProducerId, "processor", -1, "", null, [new("input", 0, 1, -1, null)], CancellationToken.None));

        Assert.Equal(ErrorCode.IllegalGeneration, zombie.Single().Error);
        Assert.Equal(ErrorCode.UnknownMemberId, stranger.Single().Error);
        Assert.Equal(ErrorCode.None, withoutGroupMetadata.Single().Error);
    }

    [Fact]
    public async Task OneTransactionCommitsOffsetsOfSeveralGroups()
    {
        var first = (await FormStableGroupAsync("first", "c1"))[0];
        var second = (await FormStableGroupAsync("second", "c2"))[0];
        await StageAsync(ProducerId, first, "first", ("input", 0, 11));
        await StageAsync(ProducerId, second, "second", ("input", 0, 22));
        await StageAsync(ProducerId + 1, first, "first", ("input", 1, 33));

        await Coordinator.CompleteTransactionAsync(ProducerId, commit: true, CancellationToken.None);

        Assert.Equal(11, Fetch("first", requireStable: true).Offset);
        Assert.Equal(22, Fetch("second", requireStable: true).Offset);
        var otherProducers = Coordinator.FetchOffsets("first", [new("input", 1)], requireStable: true).Partitions.Single();
        Assert.Equal(ErrorCode.UnstableOffsetCommit, otherProducers.Error);
    }

    [Fact]
    public async Task OpenTransactionSurvivesAReopenAndCanStillCommit()
    {
        var member = (await FormStableGroupAsync("processor", "c1"))[0];
        await StageAsync(ProducerId, member, "processor", ("input", 0, 100), ("input", 1, 200));

        await ReopenAsync();

        Assert.Equal(ErrorCode.UnstableOffsetCommit, Fetch("processor", requireStable: true).Error);
        await Coordinator.CompleteTransactionAsync(ProducerId, commit: true, CancellationToken.None);
        await ReopenAsync();
        Assert.Equal(
            new[] { 100L, 200L },
            Coordinator.FetchOffsets("processor", [new("input", 0), new("input", 1)], requireStable: true).Partitions.Select(p => p.Offset));
    }

    private Task<IReadOnlyList<OffsetCommitPartitionResult>> StageAsync(
        long producerId, JoinGroupResult member, string groupId, params (string Topic, int Partition, long Offset)[] offsets) =>
        Completed(Coordinator.StageTransactionalOffsetsAsync(
            producerId,
            groupId,
            member.GenerationId,
            member.MemberId,
            null,
            [.. offsets.Select(o => new OffsetCommitPartition(o.Topic, o.Partition, o.Offset, -1, null))],
            CancellationToken.None));

    private OffsetFetchPartitionResult Fetch(string groupId, bool requireStable) =>
        Coordinator.FetchOffsets(groupId, [new("input", 0)], requireStable).Partitions.Single();
}
