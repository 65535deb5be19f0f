using StreamingPipeline.Broker.Groups;
using StreamingPipeline.Protocol;

namespace StreamingPipeline.Broker.Tests.Groups;

public sealed class CommittedOffsetsTests : GroupCoordinatorTestBase
{
    [Fact]
    public async Task CommittedOffsetsAreFetchedBack()
    {
        var member = (await FormStableGroupAsync("orders", "c1"))[0];

        var committed = await Completed(Coordinator.CommitOffsetsAsync(
            "orders",
            member.GenerationId,
            member.MemberId,
            null,
            [new OffsetCommitPartition("events", 0, 42, 3, "checkpoint-a"), new OffsetCommitPartition("events", 1, 7, -1, null)],
            CancellationToken.None));

        Assert.All(committed, result => Assert.Equal(ErrorCode.None, result.Error));
        var fetched = Coordinator.FetchOffsets("orders", [new("events", 0), new("events", 1), new("events", 2), new("other", 0)], requireStable: false);
        Assert.Equal(ErrorCode.None, fetched.Error);
        Assert.Equal(
            new[]
            {
                new OffsetFetchPartitionResult("events", 0, 42, 3, "checkpoint-a", ErrorCode.None),
                new OffsetFetchPartitionResult("events", 1, 7, -1, "", ErrorCode.None),
                new OffsetFetchPartitionResult("events", 2, -1, -1, "", ErrorCode.None),
                new OffsetFetchPartitionResult("other", 0, -1, -1, "", ErrorCode.None),
            },
            fetched.Partitions);
        var all = Coordinator.FetchOffsets("orders", null, requireStable: false);
        Assert.Equal(new[] { ("events", 0, 42L), ("events", 1, 7L) }, all.Partitions.Select(p => (p.Topic, p.Partition, p.Offset)).Order());
        Assert.Empty(Coordinator.FetchOffsets("never-committed", null, requireStable: false).Partitions);
    }

    [Fact]
    public async Task LaterCommitReplacesTheEarlierOne()
    {
        await SimpleCommitAsync("tool", ("events", 0, 10));
        await SimpleCommitAsync("tool", ("events", 0, 25));

        Assert.Equal(25, Coordinator.FetchOffsets("tool", [new("events", 0)], false).Partitions.Single().Offset);
    }

    [Fact]
    public async Task CommitChecksMemberAndGeneration()
    {
        var members = await FormStableGroupAsync("orders", "c1", "c2");
        var member = members[0];
        OffsetCommitPartition[] offsets = [new("events", 0, 1, -1, null)];

        var oldGeneration = await CommitAsync("orders", member.GenerationId - 1, member.MemberId, offsets);
        var unknownMember = await CommitAsync("orders", member.GenerationId, "stranger", offsets);
        var noGenerationWhileMembersExist = await CommitAsync("orders", -1, "", offsets);
        var unknownGroupWithGeneration = await CommitAsync("nobody", 3, "stranger", offsets);

        Assert.Equal(ErrorCode.IllegalGeneration, oldGeneration.Single().Error);
        Assert.Equal(ErrorCode.UnknownMemberId, unknownMember.Single().Error);
        Assert.Equal(ErrorCode.UnknownMemberId, noGenerationWhileMembersExist.Single().Error);
        Assert.Equal(ErrorCode.IllegalGeneration, unknownGroupWithGeneration.Single().Error);
        Assert.Equal(-1, Coordinator.FetchOffsets("orders", [new("events", 0)], false).Partitions.Single().Offset);
        Assert.Equal(GroupState.Dead, StateOf("nobody"));
    }

    [Fact]
    public async Task CommitDuringARebalanceIsAllowedUntilTheNewGenerationIsAssigned()
    {
        var members = await FormStableGroupAsync("orders", "c1", "c2");
        var leader = members.Single(m => m.MemberId == m.LeaderId);
        var follower = members.Single(m => m != leader);
        OffsetCommitPartition[] offsets = [new("events", 0, 5, -1, null)];

        // Preparing a rebalance: members still commit what they processed under the old generation (before revoking).
        var rejoin = JoinAsync(JoinRequest("orders", memberId: leader.MemberId, clientId: "c1"));
        var duringPreparing = await CommitAsync("orders", follower.GenerationId, follower.MemberId, offsets);
        var followerRejoin = JoinAsync(JoinRequest("orders", memberId: follower.MemberId, clientId: "c2"));
        var rejoined = await Completed(Task.WhenAll(rejoin, followerRejoin));
        // Completing the rebalance: the member knows the new generation but has no assignment yet.
        var duringCompleting = await CommitAsync("orders", rejoined[1].GenerationId, follower.MemberId, offsets);

        Assert.Equal(ErrorCode.None, duringPreparing.Single().Error);
        Assert.Equal(ErrorCode.RebalanceInProgress, duringCompleting.Single().Error);
    }

    [Fact]
    public async Task SimpleCommitWithoutGenerationWorksForAGroupWithoutMembers()
    {
        var results = await SimpleCommitAsync("kcat-tool", ("events", 3, 99));

        Assert.Equal(ErrorCode.None, results.Single().Error);
        Assert.Equal(99, Coordinator.FetchOffsets("kcat-tool", [new("events", 3)], false).Partitions.Single().Offset);
        var listed = Assert.Single(Coordinator.ListGroups(null));
        Assert.Equal(new ListedGroup("kcat-tool", "", GroupState.Empty), listed);
    }

    [Fact]
    public async Task MetadataLongerThanTheLimitIsRejectedForItsPartitionOnly()
    {
        var results = await CommitAsync("tool", -1, "", [
            new OffsetCommitPartition("events", 0, 1, -1, new string('x', 4097)),
            new OffsetCommitPartition("events", 1, 2, -1, new string('x', 4096)),
        ]);

        Assert.Equal(ErrorCode.OffsetMetadataTooLarge, results[0].Error);
        Assert.Equal(ErrorCode.None, results[1].Error);
        var fetched = Coordinator.FetchOffsets("tool", [new("events", 0), new("events", 1)], false).Partitions;
        Assert.Equal(-1, fetched[0].Offset);
        Assert.Equal(2, fetched[1].Offset);
    }

    [Fact]
    public async Task InvalidGroupIdIsRejected()
    {
        var committed = await CommitAsync("", -1, "", [new("events", 0, 1, -1, null)]);

        Assert.Equal(ErrorCode.InvalidGroupId, committed.Single().Error);
        Assert.Equal(ErrorCode.InvalidGroupId, Coordinator.FetchOffsets("", null, false).Error);
        Assert.Equal(ErrorCode.InvalidGroupId, (await Completed(JoinAsync(JoinRequest("")))).Error);
    }

    [Fact]
    public async Task OffsetsAndEmptyGroupsSurviveAReopen()
    {
        var members = await FormStableGroupAsync("orders", "c1");
        await CommitAsync("orders", members[0].GenerationId, members[0].MemberId, [new("events", 0, 1000, 4, "meta")]);
        await SimpleCommitAsync("tool", ("events", 1, 55));

        await ReopenAsync();

        Assert.Equal(
            new OffsetFetchPartitionResult("events", 0, 1000, 4, "meta", ErrorCode.None),
            Coordinator.FetchOffsets("orders", [new("events", 0)], false).Partitions.Single());
        Assert.Equal(55, Coordinator.FetchOffsets("tool", [new("events", 1)], false).Partitions.Single().Offset);
        Assert.Equal(
            new[] { new ListedGroup("orders", "consumer", GroupState.Empty), new ListedGroup("tool", "", GroupState.Empty) },
            Coordinator.ListGroups(null).OrderBy(g => g.GroupId));
        // Members are not durable: the old member must rejoin, and the generations continue where they were.
        Assert.Equal(ErrorCode.UnknownMemberId, Coordinator.Heartbeat("orders", members[0].GenerationId, members[0].MemberId, null));
        var rejoin = JoinAsync(JoinRequest("orders", clientId: "c1"));
        PassInitialRebalanceDelay();
        Assert.Equal(members[0].GenerationId + 1, (await Completed(rejoin)).GenerationId);
    }

    [Fact]
    public async Task OffsetsOfAnEmptyGroupExpireAfterTheRetentionAndTheGroupGoesAway()
    {
        Options = Options with { OffsetsRetention = TimeSpan.FromHours(1), OffsetsRetentionCheckInterval = TimeSpan.FromMinutes(10) };
        await ReopenAsync();
        var member = (await FormStableGroupAsync("orders", TimeSpan.FromMinutes(5), "c1"))[0];
        await CommitAsync("orders", member.GenerationId, member.MemberId, [new("events", 0, 8, -1, null)]);
        await SimpleCommitAsync("tool", ("events", 0, 9));

        // A group with members keeps its offsets however old they get; a group that never had members loses them.
        for (var i = 0; i < 20; i++)
        {
            Time.Advance(TimeSpan.FromMinutes(4));
            Assert.Equal(ErrorCode.None, Coordinator.Heartbeat("orders", member.GenerationId, member.MemberId, null));
        }
        await Coordinator.FlushOffsetsAsync();
        Assert.Equal(8, Coordinator.FetchOffsets("orders", [new("events", 0)], false).Partitions.Single().Offset);
        Assert.Equal(-1, Coordinator.FetchOffsets("tool", [new("events", 0)], false).Partitions.Single().Offset);
        Assert.Equal("orders", Assert.Single(Coordinator.ListGroups(null)).GroupId);

        // Once empty, the retention counts from when the group became empty.
        Coordinator.LeaveGroup("orders", [new LeaveGroupMember(member.MemberId, null)]);
        Time.Advance(TimeSpan.FromMinutes(50));
        await Coordinator.FlushOffsetsAsync();
        Assert.Equal(8, Coordinator.FetchOffsets("orders", [new("events", 0)], false).Partitions.Single().Offset);
        Time.Advance(TimeSpan.FromMinutes(20));
        await Coordinator.FlushOffsetsAsync();
        Assert.Equal(-1, Coordinator.FetchOffsets("orders", [new("events", 0)], false).Partitions.Single().Offset);
        Assert.Empty(Coordinator.ListGroups(null));

        await ReopenAsync();
        Assert.Empty(Coordinator.ListGroups(null));
    }

    private Task<IReadOnlyList<OffsetCommitPartitionResult>> CommitAsync(
        string groupId, int generationId, string memberId, IReadOnlyList<OffsetCommitPartition> offsets) =>
        Completed(Coordinator.CommitOffsetsAsync(groupId, generationId, memberId, null, offsets, CancellationToken.None));

    private Task<IReadOnlyList<OffsetCommitPartitionResult>> SimpleCommitAsync(string groupId, params (string Topic, int Partition, long Offset)[] offsets) =>
        CommitAsync(groupId, -1, "", [.. offsets.Select(o => new OffsetCommitPartition(o.Topic, o.Partition, o.Offset, -1, null))]);
}
