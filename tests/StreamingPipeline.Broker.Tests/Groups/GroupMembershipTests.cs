using StreamingPipeline.Broker.Groups;
using StreamingPipeline.Protocol;

namespace StreamingPipeline.Broker.Tests.Groups;

public sealed class GroupMembershipTests : GroupCoordinatorTestBase
{
    [Fact]
    public async Task SingleMemberJoinsSyncsAndHeartbeats()
    {
        var join = JoinAsync(JoinRequest("orders", clientId: "c1"));
        Assert.False(join.IsCompleted, "the first rebalance waits for the initial delay");
        Assert.Equal(GroupState.PreparingRebalance, StateOf("orders"));

        Time.Advance(InitialDelay);
        var joined = await Completed(join);

        Assert.Equal(ErrorCode.None, joined.Error);
        Assert.Equal(1, joined.GenerationId);
        Assert.Equal("consumer", joined.ProtocolType);
        Assert.Equal("range", joined.ProtocolName);
        Assert.StartsWith("c1-", joined.MemberId);
        Assert.Equal(joined.MemberId, joined.LeaderId);
        var self = Assert.Single(joined.Members);
        Assert.Equal(joined.MemberId, self.MemberId);
        Assert.Equal("subscription of c1", Text(self.Metadata));
        Assert.Equal(GroupState.CompletingRebalance, StateOf("orders"));

        var synced = await Completed(SyncAsync("orders", joined, new SyncGroupAssignment(joined.MemberId, Bytes("partitions 0-7"))));
        Assert.Equal(ErrorCode.None, synced.Error);
        Assert.Equal("partitions 0-7", Text(synced.Assignment));
        Assert.Equal("range", synced.ProtocolName);

        Assert.Equal(ErrorCode.None, Coordinator.Heartbeat("orders", joined.GenerationId, joined.MemberId, null));
        var described = Coordinator.DescribeGroups(["orders"]).Single();
        Assert.Equal(GroupState.Stable, described.State);
        Assert.Equal("range", described.ProtocolName);
        var member = Assert.Single(described.Members);
        Assert.Equal("c1", member.ClientId);
        Assert.Equal("/127.0.0.1", member.ClientHost);
        Assert.Equal("partitions 0-7", Text(member.Assignment));
        Assert.Equal("subscription of c1", Text(member.Metadata));
    }

    [Fact]
    public async Task MemberWithoutIdIsToldToRejoinWithAGeneratedOne()
    {
        var first = await Completed(JoinAsync(JoinRequest("orders", clientId: "c1", requireKnownMemberId: true)));

        Assert.Equal(ErrorCode.MemberIdRequired, first.Error);
        Assert.StartsWith("c1-", first.MemberId);
        Assert.True(Guid.TryParse(first.MemberId["c1-".Length..], out _));

        var rejoin = JoinAsync(JoinRequest("orders", memberId: first.MemberId, clientId: "c1", requireKnownMemberId: true));
        Time.Advance(InitialDelay);
        var joined = await Completed(rejoin);
        Assert.Equal(ErrorCode.None, joined.Error);
        Assert.Equal(first.MemberId, joined.MemberId);
        Assert.Equal(1, joined.GenerationId);
    }

    [Fact]
    public async Task MemberIdTheCoordinatorNeverGaveIsUnknown()
    {
        var joined = await Completed(JoinAsync(JoinRequest("orders", memberId: "made-up")));

        Assert.Equal(ErrorCode.UnknownMemberId, joined.Error);
        Assert.Equal(ErrorCode.UnknownMemberId, Coordinator.Heartbeat("orders", 1, "made-up", null));
    }

    [Fact]
    public async Task PendingMemberThatNeverRejoinsStopsHoldingUpARebalance()
    {
        var members = await FormStableGroupAsync("orders", "c1", "c2");
        var pending = await Completed(JoinAsync(JoinRequest("orders", clientId: "c3", requireKnownMemberId: true)));
        Assert.Equal(ErrorCode.MemberIdRequired, pending.Error);

        // c1 rejoins (a leader rejoin forces a rebalance) and c2 follows; the pending c3 holds the join phase open.
        var leader = members.Single(m => m.MemberId == m.LeaderId);
        var follower = members.Single(m => m != leader);
        var leaderRejoin = JoinAsync(JoinRequest("orders", memberId: leader.MemberId, clientId: "c1"));
        var followerRejoin = JoinAsync(JoinRequest("orders", memberId: follower.MemberId, clientId: "c2"));
        Assert.False(leaderRejoin.IsCompleted);

        Time.Advance(SessionTimeout);
        var rejoined = await Completed(Task.WhenAll(leaderRejoin, followerRejoin));
        Assert.All(rejoined, result => Assert.Equal(2, result.GenerationId));
        Assert.Equal(2, rejoined.Single(r => r.MemberId == r.LeaderId).Members.Count);
    }

    [Fact]
    public async Task ThreeMembersJoiningTogetherShareTheFirstGeneration()
    {
        var joins = new[] { "c1", "c2", "c3" }
            .Select(clientId => JoinAsync(JoinRequest("orders", clientId: clientId)))
            .ToArray();
        // Members arrived during the initial delay, so it runs once more before the generation starts.
        Time.Advance(InitialDelay);
        Assert.All(joins, join => Assert.False(join.IsCompleted));
        PassInitialRebalanceDelay();
        var joined = await Completed(Task.WhenAll(joins));

        Assert.All(joined, result => Assert.Equal(ErrorCode.None, result.Error));
        Assert.All(joined, result => Assert.Equal(1, result.GenerationId));
        Assert.Single(joined.Select(result => result.LeaderId).Distinct());
        var leader = joined.Single(result => result.MemberId == result.LeaderId);
        Assert.Equal(
            joined.Select(result => result.MemberId).Order(),
            leader.Members.Select(member => member.MemberId).Order());
        var clientOfMember = joined.Select((result, i) => (result.MemberId, Client: $"c{i + 1}")).ToDictionary(p => p.MemberId, p => p.Client);
        Assert.All(leader.Members, member => Assert.Equal($"subscription of {clientOfMember[member.MemberId]}", Text(member.Metadata)));
        Assert.All(joined.Where(result => result != leader), follower => Assert.Empty(follower.Members));

        // Followers wait for the leader's assignment.
        var followerSyncs = joined.Where(result => result != leader).Select(result => SyncAsync("orders", result)).ToArray();
        Assert.All(followerSyncs, sync => Assert.False(sync.IsCompleted));
        var leaderSync = await Completed(SyncAsync(
            "orders",
            leader,
            [.. joined.Select(result => new SyncGroupAssignment(result.MemberId, Bytes($"for {clientOfMember[result.MemberId]}")))]));
        Assert.Equal($"for {clientOfMember[leader.MemberId]}", Text(leaderSync.Assignment));
        var followerResults = await Completed(Task.WhenAll(followerSyncs));
        var followers = joined.Where(result => result != leader).ToArray();
        for (var i = 0; i < followers.Length; i++)
        {
            Assert.Equal(ErrorCode.None, followerResults[i].Error);
            Assert.Equal($"for {clientOfMember[followers[i].MemberId]}", Text(followerResults[i].Assignment));
        }
        Assert.Equal(GroupState.Stable, StateOf("orders"));
    }

    [Fact]
    public async Task InitialDelayIsExtendedOnlyUpToTheRebalanceTimeout()
    {
        var start = Time.GetUtcNow();
        var joins = new List<Task<JoinGroupResult>> { JoinAsync(JoinRequest("orders", clientId: "c0")) };
        // A new member every two seconds would keep extending a three-second delay forever. The clock moves one second
        // at a time so that every delay ends exactly when due: FakeTimeProvider runs a due timer with the clock already
        // at the end of the Advance, so the next delay, started in that callback, would count from there instead.
        // The group's state, not the join's task, says when the join phase ended: the task completes on another thread.
        for (var second = 1; second <= 40 && StateOf("orders") == GroupState.PreparingRebalance; second++)
        {
            Time.Advance(TimeSpan.FromSeconds(1));
            if (second % 2 == 0 && StateOf("orders") == GroupState.PreparingRebalance)
            {
                joins.Add(JoinAsync(JoinRequest("orders", clientId: $"c{second / 2}")));
            }
        }

        // Completed at the rebalance timeout, with everyone who had arrived by then: c0 and one every 2 s up to 28 s.
        var first = await Completed(joins[0]);
        Assert.Equal(ErrorCode.None, first.Error);
        Assert.Equal(start + RebalanceTimeout, Time.GetUtcNow());
        Assert.Equal(15, joins.Count);
        Assert.Equal(joins.Count, first.Members.Count);
    }

    [Fact]
    public async Task LeavingMemberMakesTheOthersRebalanceIntoANewGeneration()
    {
        var members = await FormStableGroupAsync("orders", "c1", "c2", "c3");
        var leaving = members[1];

        var left = Coordinator.LeaveGroup("orders", [new LeaveGroupMember(leaving.MemberId, null)]);
        Assert.Equal(ErrorCode.None, left.Error);
        Assert.Equal(ErrorCode.None, Assert.Single(left.Members).Error);

        var staying = new[] { members[0], members[2] };
        Assert.All(staying, member => Assert.Equal(ErrorCode.RebalanceInProgress, Coordinator.Heartbeat("orders", member.GenerationId, member.MemberId, null)));
        Assert.Equal(ErrorCode.UnknownMemberId, Coordinator.Heartbeat("orders", leaving.GenerationId, leaving.MemberId, null));

        var firstRejoin = JoinAsync(JoinRequest("orders", memberId: staying[0].MemberId, clientId: "c1"));
        Assert.False(firstRejoin.IsCompleted, "the rebalance waits for every remaining member");
        var secondRejoin = JoinAsync(JoinRequest("orders", memberId: staying[1].MemberId, clientId: "c3"));
        var rejoined = await Completed(Task.WhenAll(firstRejoin, secondRejoin));

        Assert.All(rejoined, result => Assert.Equal(2, result.GenerationId));
        var leader = rejoined.Single(result => result.MemberId == result.LeaderId);
        Assert.Equal(staying.Select(m => m.MemberId).Order(), leader.Members.Select(m => m.MemberId).Order());
    }

    [Fact]
    public async Task LastMemberLeavingEmptiesTheGroup()
    {
        var member = (await FormStableGroupAsync("orders", "c1")).Single();

        Coordinator.LeaveGroup("orders", [new LeaveGroupMember(member.MemberId, null)]);

        var described = Coordinator.DescribeGroups(["orders"]).Single();
        Assert.Equal(GroupState.Empty, described.State);
        Assert.Empty(described.Members);
        Assert.Equal("consumer", described.ProtocolType);
    }

    [Fact]
    public async Task MemberThatStopsHeartbeatingIsRemovedAfterItsSessionTimeout()
    {
        var members = await FormStableGroupAsync("orders", "c1", "c2");
        var alive = members[0];
        var silent = members[1];

        Time.Advance(TimeSpan.FromSeconds(6));
        Assert.Equal(ErrorCode.None, Coordinator.Heartbeat("orders", alive.GenerationId, alive.MemberId, null));
        Time.Advance(TimeSpan.FromSeconds(3.9));
        Assert.Equal(ErrorCode.None, Coordinator.Heartbeat("orders", alive.GenerationId, alive.MemberId, null));
        Time.Advance(TimeSpan.FromSeconds(0.2));

        Assert.Equal(ErrorCode.RebalanceInProgress, Coordinator.Heartbeat("orders", alive.GenerationId, alive.MemberId, null));
        Assert.Equal(ErrorCode.UnknownMemberId, Coordinator.Heartbeat("orders", silent.GenerationId, silent.MemberId, null));
        var rejoined = await Completed(JoinAsync(JoinRequest("orders", memberId: alive.MemberId, clientId: "c1")));
        Assert.Equal(2, rejoined.GenerationId);
        Assert.Equal(alive.MemberId, Assert.Single(rejoined.Members).MemberId);
    }

    [Fact]
    public async Task MemberThatDoesNotRejoinIsDroppedAtTheRebalanceTimeout()
    {
        var members = await FormStableGroupAsync("orders", "c1", "c2");
        var leader = members.Single(m => m.MemberId == m.LeaderId);
        var straggler = members.Single(m => m != leader);

        var rejoin = JoinAsync(JoinRequest("orders", memberId: leader.MemberId, clientId: "c1"));
        // The straggler stays alive by heartbeating but never rejoins.
        for (var elapsed = TimeSpan.Zero; elapsed < RebalanceTimeout - TimeSpan.FromSeconds(5); elapsed += TimeSpan.FromSeconds(5))
        {
            Assert.Equal(ErrorCode.RebalanceInProgress, Coordinator.Heartbeat("orders", straggler.GenerationId, straggler.MemberId, null));
            Time.Advance(TimeSpan.FromSeconds(5));
            Assert.False(rejoin.IsCompleted);
        }
        Time.Advance(TimeSpan.FromSeconds(5));

        var rejoined = await Completed(rejoin);
        Assert.Equal(2, rejoined.GenerationId);
        Assert.Equal(leader.MemberId, Assert.Single(rejoined.Members).MemberId);
        Assert.Equal(ErrorCode.UnknownMemberId, Coordinator.Heartbeat("orders", straggler.GenerationId, straggler.MemberId, null));
    }

    [Fact]
    public async Task MemberThatNeverSyncsIsDroppedAtTheRebalanceTimeout()
    {
        var joins = new[] { "c1", "c2" }.Select(clientId => JoinAsync(JoinRequest("orders", clientId: clientId))).ToArray();
        PassInitialRebalanceDelay();
        var joined = await Completed(Task.WhenAll(joins));
        var leader = joined.Single(result => result.MemberId == result.LeaderId);
        var follower = joined.Single(result => result != leader);
        await Completed(SyncAsync("orders", leader, new SyncGroupAssignment(leader.MemberId, Bytes("all"))));

        for (var elapsed = TimeSpan.Zero; elapsed < RebalanceTimeout; elapsed += TimeSpan.FromSeconds(5))
        {
            Time.Advance(TimeSpan.FromSeconds(5));
            // The follower heartbeats (so its session stays alive) but never sends SyncGroup.
            Coordinator.Heartbeat("orders", follower.GenerationId, follower.MemberId, null);
            Coordinator.Heartbeat("orders", leader.GenerationId, leader.MemberId, null);
        }

        Assert.Equal(ErrorCode.UnknownMemberId, Coordinator.Heartbeat("orders", follower.GenerationId, follower.MemberId, null));
        Assert.Equal(ErrorCode.RebalanceInProgress, Coordinator.Heartbeat("orders", leader.GenerationId, leader.MemberId, null));
    }

    [Fact]
    public async Task CancelledJoinKeepsTheMemberInTheRebalance()
    {
        using var gaveUp = new CancellationTokenSource();
        var abandoned = Coordinator.JoinGroupAsync(JoinRequest("orders", clientId: "c1"), gaveUp.Token);
        var other = JoinAsync(JoinRequest("orders", clientId: "c2"));
        await gaveUp.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);

        PassInitialRebalanceDelay();
        var joined = await Completed(other);

        // The member that gave up is still in the generation, as its leader (it joined first).
        Assert.Equal(ErrorCode.None, joined.Error);
        Assert.NotEqual(joined.MemberId, joined.LeaderId);
        Assert.StartsWith("c1-", joined.LeaderId);
        Assert.Equal(2, Coordinator.DescribeGroups(["orders"]).Single().Members.Count);
    }

    [Fact]
    public async Task SessionTimeoutOutsideTheConfiguredBoundsIsRejected()
    {
        var tooShort = await Completed(JoinAsync(JoinRequest("orders", sessionTimeout: TimeSpan.FromMilliseconds(999))));
        var tooLong = await Completed(JoinAsync(JoinRequest("orders", sessionTimeout: TimeSpan.FromMinutes(6))));

        Assert.Equal(ErrorCode.InvalidSessionTimeout, tooShort.Error);
        Assert.Equal(ErrorCode.InvalidSessionTimeout, tooLong.Error);
    }

    [Fact]
    public async Task JoinWithAnotherProtocolTypeOrNoCommonProtocolIsRejected()
    {
        await FormStableGroupAsync("orders", "c1");

        var otherType = await Completed(JoinAsync(JoinRequest("orders", clientId: "c2", protocolType: "connect")));
        var noCommonProtocol = await Completed(JoinAsync(JoinRequest(
            "orders", clientId: "c3", protocols: [new JoinGroupProtocol("sticky", Bytes("s"))])));
        var noProtocols = await Completed(JoinAsync(JoinRequest("fresh", protocols: [])));

        Assert.Equal(ErrorCode.InconsistentGroupProtocol, otherType.Error);
        Assert.Equal(ErrorCode.InconsistentGroupProtocol, noCommonProtocol.Error);
        Assert.Equal(ErrorCode.InconsistentGroupProtocol, noProtocols.Error);
        Assert.Equal(GroupState.Stable, StateOf("orders"));
    }

    [Fact]
    public async Task ProtocolIsChosenByVoteAmongThoseEveryMemberSupports()
    {
        JoinGroupProtocol Protocol(string name) => new(name, Bytes($"{name} metadata"));
        var joins = new[]
        {
            JoinAsync(JoinRequest("orders", clientId: "c1", protocols: [Protocol("range"), Protocol("sticky"), Protocol("roundrobin")])),
            JoinAsync(JoinRequest("orders", clientId: "c2", protocols: [Protocol("sticky"), Protocol("roundrobin")])),
            JoinAsync(JoinRequest("orders", clientId: "c3", protocols: [Protocol("roundrobin"), Protocol("sticky")])),
        };
        PassInitialRebalanceDelay();
        var joined = await Completed(Task.WhenAll(joins));

        // range is not supported by all; sticky gets c1's and c2's votes, roundrobin only c3's.
        Assert.All(joined, result => Assert.Equal("sticky", result.ProtocolName));
        var leader = joined.Single(result => result.MemberId == result.LeaderId);
        Assert.All(leader.Members, member => Assert.Equal("sticky metadata", Text(member.Metadata)));
    }

    [Fact]
    public async Task SyncGroupChecksMemberGenerationAndState()
    {
        var member = (await FormStableGroupAsync("orders", "c1", "c2"))[0];

        var unknownMember = await Completed(Coordinator.SyncGroupAsync(
            new SyncGroupCall("orders", member.GenerationId, "stranger", null, null, null, []), CancellationToken.None));
        var oldGeneration = await Completed(Coordinator.SyncGroupAsync(
            new SyncGroupCall("orders", member.GenerationId - 1, member.MemberId, null, null, null, []), CancellationToken.None));
        var wrongProtocol = await Completed(Coordinator.SyncGroupAsync(
            new SyncGroupCall("orders", member.GenerationId, member.MemberId, null, "consumer", "roundrobin", []), CancellationToken.None));
        var unknownGroup = await Completed(Coordinator.SyncGroupAsync(
            new SyncGroupCall("nobody", 1, member.MemberId, null, null, null, []), CancellationToken.None));
        var stableAgain = await Completed(SyncAsync("orders", member));

        Assert.Equal(ErrorCode.UnknownMemberId, unknownMember.Error);
        Assert.Equal(ErrorCode.IllegalGeneration, oldGeneration.Error);
        Assert.Equal(ErrorCode.InconsistentGroupProtocol, wrongProtocol.Error);
        Assert.Equal(ErrorCode.UnknownMemberId, unknownGroup.Error);
        Assert.Equal(ErrorCode.None, stableAgain.Error);
        Assert.Equal("assignment of c1", Text(stableAgain.Assignment));

        // A rebalance in progress: a sync for the old generation is told so.
        var other = (await FormStableGroupAsync("other2", "a", "b"))[0];
        Coordinator.LeaveGroup("other2", [new LeaveGroupMember(other.MemberId, null)]);
        var remaining = Coordinator.DescribeGroups(["other2"]).Single().Members.Single();
        var duringRebalance = await Completed(Coordinator.SyncGroupAsync(
            new SyncGroupCall("other2", other.GenerationId, remaining.MemberId, null, null, null, []), CancellationToken.None));
        Assert.Equal(ErrorCode.RebalanceInProgress, duringRebalance.Error);
    }

    [Fact]
    public async Task HeartbeatWithAnOldGenerationIsIllegal()
    {
        var member = (await FormStableGroupAsync("orders", "c1"))[0];

        Assert.Equal(ErrorCode.IllegalGeneration, Coordinator.Heartbeat("orders", member.GenerationId + 1, member.MemberId, null));
        Assert.Equal(ErrorCode.InvalidGroupId, Coordinator.Heartbeat("", member.GenerationId, member.MemberId, null));
    }

    [Fact]
    public async Task FollowerRejoiningAStableGroupWithSameMetadataGetsTheCurrentGeneration()
    {
        var members = await FormStableGroupAsync("orders", "c1", "c2");
        var follower = members.Single(m => m.MemberId != m.LeaderId);

        var rejoined = await Completed(JoinAsync(JoinRequest("orders", memberId: follower.MemberId, clientId: "c2")));

        Assert.Equal(ErrorCode.None, rejoined.Error);
        Assert.Equal(follower.GenerationId, rejoined.GenerationId);
        Assert.Equal(GroupState.Stable, StateOf("orders"));
    }

    [Fact]
    public async Task StaticMemberRestartingWithoutItsIdTakesOverWithoutARebalance()
    {
        var joins = new[]
        {
            JoinAsync(JoinRequest("orders", clientId: "c1", groupInstanceId: "instance-1")),
            JoinAsync(JoinRequest("orders", clientId: "c2", groupInstanceId: "instance-2")),
        };
        PassInitialRebalanceDelay();
        var joined = await Completed(Task.WhenAll(joins));
        Assert.All(joined, result => Assert.StartsWith("instance-", result.MemberId));
        var leader = joined.Single(result => result.MemberId == result.LeaderId);
        var follower = joined.Single(result => result != leader);
        await Completed(SyncAsync("orders", leader, [.. joined.Select(result => new SyncGroupAssignment(result.MemberId, Bytes($"for {result.MemberId}")))]));
        var followerInstance = follower == joined[0] ? "instance-1" : "instance-2";
        var followerClient = follower == joined[0] ? "c1" : "c2";

        // The follower's process restarts and comes back with its instance id but no member id.
        var restarted = await Completed(JoinAsync(JoinRequest("orders", clientId: followerClient, groupInstanceId: followerInstance)));

        Assert.Equal(ErrorCode.None, restarted.Error);
        Assert.NotEqual(follower.MemberId, restarted.MemberId);
        Assert.Equal(follower.GenerationId, restarted.GenerationId);
        Assert.Equal(GroupState.Stable, StateOf("orders"));
        Assert.Equal(ErrorCode.None, Coordinator.Heartbeat("orders", leader.GenerationId, leader.MemberId, null));
        Assert.Equal(ErrorCode.FencedInstanceId, Coordinator.Heartbeat("orders", follower.GenerationId, follower.MemberId, followerInstance));
        var synced = await Completed(Coordinator.SyncGroupAsync(
            new SyncGroupCall("orders", restarted.GenerationId, restarted.MemberId, followerInstance, null, null, []), CancellationToken.None));
        Assert.Equal($"for {follower.MemberId}", Text(synced.Assignment));

        var left = Coordinator.LeaveGroup("orders", [new LeaveGroupMember("", followerInstance)]);
        Assert.Equal(ErrorCode.None, left.Members.Single().Error);
        Assert.Equal(ErrorCode.RebalanceInProgress, Coordinator.Heartbeat("orders", leader.GenerationId, leader.MemberId, null));
    }

    [Fact]
    public async Task ListGroupsFiltersByStateAndDescribeReportsUnknownGroupsAsDead()
    {
        await FormStableGroupAsync("stable-group", "c1");
        _ = JoinAsync(JoinRequest("joining-group", clientId: "c2"));

        var all = Coordinator.ListGroups(null);
        var stable = Coordinator.ListGroups([GroupState.Stable]);
        var described = Coordinator.DescribeGroups(["stable-group", "never-seen"]);

        Assert.Equal(new[] { "joining-group", "stable-group" }, all.Select(g => g.GroupId).Order());
        Assert.All(all, group => Assert.Equal("consumer", group.ProtocolType));
        Assert.Equal("stable-group", Assert.Single(stable).GroupId);
        Assert.Equal(GroupState.Stable, described[0].State);
        Assert.Equal(GroupState.Dead, described[1].State);
        Assert.Equal(ErrorCode.None, described[1].Error);
        Assert.True(GroupStateNames.TryParse("completingrebalance", out var parsed));
        Assert.Equal(GroupState.CompletingRebalance, parsed);
        Assert.Equal("PreparingRebalance", GroupState.PreparingRebalance.ToKafkaName());
    }

    [Fact]
    public async Task GroupIsFullAtItsMaximumSize()
    {
        Options = Options with { MaxGroupSize = 2 };
        await ReopenAsync();
        await FormStableGroupAsync("orders", "c1", "c2");

        var third = await Completed(JoinAsync(JoinRequest("orders", clientId: "c3")));

        Assert.Equal(ErrorCode.GroupMaxSizeReached, third.Error);
    }

    [Fact]
    public async Task ShuttingDownAnswersParkedCallsWithNotCoordinator()
    {
        var parked = JoinAsync(JoinRequest("orders", clientId: "c1"));

        await Coordinator.DisposeAsync();

        Assert.Equal(ErrorCode.NotCoordinator, (await Completed(parked)).Error);
        Assert.Equal(ErrorCode.NotCoordinator, (await Completed(JoinAsync(JoinRequest("orders")))).Error);
    }
}
