using Microsoft.Extensions.Logging.Abstractions;
using StreamingPipeline.Broker.Groups;
using StreamingPipeline.Protocol;

namespace StreamingPipeline.Broker.Tests.Groups;

/// <summary>
/// The coordinator on the system clock and real timers, with short timeouts, and under concurrent callers: what the
/// manual clock cannot show (timer threads racing request threads, the writer loop under load).
/// </summary>
public sealed class RealClockGroupTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);
    private static readonly GroupCoordinatorOptions Options = new()
    {
        MinSessionTimeout = TimeSpan.FromMilliseconds(100),
        InitialRebalanceDelay = TimeSpan.FromMilliseconds(50),
    };

    private readonly TempDirectory _directory = new();
    private GroupCoordinator _coordinator = null!;

    public async Task InitializeAsync() => _coordinator = await OpenAsync();

    public async Task DisposeAsync()
    {
        await _coordinator.DisposeAsync();
        _directory.Dispose();
    }

    [Fact]
    public async Task MembersJoinSyncAndOneIsExpiredOnTheSystemClock()
    {
        var joins = new[] { "c1", "c2" }.Select(clientId => _coordinator.JoinGroupAsync(Join(clientId), CancellationToken.None)).ToArray();
        var joined = await Task.WhenAll(joins).WaitAsync(Deadline);
        Assert.All(joined, result => Assert.Equal(1, result.GenerationId));
        var leader = joined.Single(result => result.MemberId == result.LeaderId);
        var follower = joined.Single(result => result != leader);
        await Task.WhenAll(
            Sync(follower, []),
            Sync(leader, [new SyncGroupAssignment(leader.MemberId, new byte[] { 1 }), new SyncGroupAssignment(follower.MemberId, new byte[] { 2 })]))
            .WaitAsync(Deadline);

        // The leader keeps heartbeating; the follower goes silent and its 300 ms session ends.
        var heartbeat = ErrorCode.None;
        var deadline = DateTime.UtcNow + Deadline;
        while (heartbeat == ErrorCode.None && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
            heartbeat = _coordinator.Heartbeat("orders", leader.GenerationId, leader.MemberId, null);
        }

        Assert.Equal(ErrorCode.RebalanceInProgress, heartbeat);
        var rejoined = await _coordinator.JoinGroupAsync(Join("c1", leader.MemberId), CancellationToken.None).WaitAsync(Deadline);
        Assert.Equal(2, rejoined.GenerationId);
        Assert.Equal(leader.MemberId, Assert.Single(rejoined.Members).MemberId);
    }

    [Fact]
    public async Task ConcurrentCommitsFromManyGroupsAreAllStoredDurably()
    {
        const int Groups = 8;
        const int CommitsPerGroup = 200;
        var committers = Enumerable.Range(0, Groups).Select(group => Task.Run(async () =>
        {
            for (var i = 1; i <= CommitsPerGroup; i++)
            {
                var results = await _coordinator.CommitOffsetsAsync(
                    $"group-{group}", -1, "", null, [new("events", 0, i, -1, null), new("events", 1, -i, -1, null)], CancellationToken.None);
                Assert.All(results, result => Assert.Equal(ErrorCode.None, result.Error));
            }
        }));
        await Task.WhenAll(committers).WaitAsync(Deadline);

        await _coordinator.DisposeAsync();
        _coordinator = await OpenAsync();

        for (var group = 0; group < Groups; group++)
        {
            var fetched = _coordinator.FetchOffsets($"group-{group}", [new("events", 0), new("events", 1)], requireStable: false);
            Assert.Equal(new long[] { CommitsPerGroup, -CommitsPerGroup }, fetched.Partitions.Select(p => p.Offset));
        }
    }

    [Fact]
    public async Task ConcurrentJoinsAndLeavesSettleIntoOneStableGeneration()
    {
        // Ten consumers start at once and three of them leave as soon as they are in; the other seven keep rejoining
        // and syncing, as consumers do, until they share one stable generation.
        var members = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => Task.Run(() => JoinAsync($"c{i}", "")))).WaitAsync(Deadline);
        foreach (var leaving in members.Take(3))
        {
            _coordinator.LeaveGroup("orders", [new LeaveGroupMember(leaving.MemberId, null)]);
        }
        var final = await Task.WhenAll(members.Skip(3).Select(member => Task.Run(() => RejoinUntilStableAsync(member)))).WaitAsync(Deadline);

        Assert.Single(final.Select(result => result.GenerationId).Distinct());
        Assert.Equal(7, final.Single(result => result.MemberId == result.LeaderId).Members.Count);
        Assert.Equal(7, _coordinator.DescribeGroups(["orders"]).Single().Members.Count);
    }

    private async Task<JoinGroupResult> JoinAsync(string clientId, string memberId)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (DateTime.UtcNow < deadline)
        {
            var result = await _coordinator.JoinGroupAsync(Join(clientId, memberId, TimeSpan.FromSeconds(3)), CancellationToken.None);
            switch (result.Error)
            {
                case ErrorCode.None:
                    return result;
                case ErrorCode.UnknownMemberId:
                    // Removed meanwhile: start over as a new member, as a consumer does.
                    memberId = "";
                    break;
            }
        }
        throw new TimeoutException($"{clientId} did not get into the group.");
    }

    /// <summary>What a consumer does once a rebalance started: rejoin and sync until it is in a stable generation.</summary>
    private async Task<JoinGroupResult> RejoinUntilStableAsync(JoinGroupResult member)
    {
        var deadline = DateTime.UtcNow + Deadline;
        var memberId = member.MemberId;
        while (DateTime.UtcNow < deadline)
        {
            var joined = await JoinAsync("c", memberId);
            memberId = joined.MemberId;
            var assignments = joined.Members.Select(m => new SyncGroupAssignment(m.MemberId, new byte[] { 1 })).ToArray();
            var synced = await Sync(joined, assignments);
            if (synced.Error == ErrorCode.None && _coordinator.Heartbeat("orders", joined.GenerationId, joined.MemberId, null) == ErrorCode.None)
            {
                return joined;
            }
        }
        throw new TimeoutException($"{member.MemberId} did not reach a stable generation.");
    }

    private Task<GroupCoordinator> OpenAsync() =>
        GroupCoordinator.OpenAsync(Path.Combine(_directory.Path, "offsets"), Options, TimeProvider.System, NullLogger.Instance, CancellationToken.None);

    private static JoinGroupCall Join(string clientId, string memberId = "", TimeSpan? sessionTimeout = null) =>
        new("orders", memberId, null, "consumer", [new JoinGroupProtocol("range", new byte[] { 0 })],
            sessionTimeout ?? TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(5), clientId, "/127.0.0.1", RequireKnownMemberId: false);

    private Task<SyncGroupResult> Sync(JoinGroupResult joined, SyncGroupAssignment[] assignments) =>
        _coordinator.SyncGroupAsync(
            new SyncGroupCall("orders", joined.GenerationId, joined.MemberId, null, null, null, assignments), CancellationToken.None);
}
