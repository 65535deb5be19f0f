using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using StreamingPipeline.Broker.Groups;
using StreamingPipeline.Protocol;

namespace StreamingPipeline.Broker.Tests.Groups;

/// <summary>
/// A real coordinator on a temp directory and a manual clock, with helpers that speak the classic protocol the way a
/// consumer does. Each test gets its own instance, directory and clock.
/// </summary>
public abstract class GroupCoordinatorTestBase : IAsyncLifetime
{
    private protected static readonly TimeSpan SessionTimeout = TimeSpan.FromSeconds(10);
    private protected static readonly TimeSpan RebalanceTimeout = TimeSpan.FromSeconds(30);
    private protected static readonly TimeSpan InitialDelay = TimeSpan.FromSeconds(3);

    // Real time: only a bound on how long a test waits for something the manual clock already made happen.
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    public FakeTimeProvider Time { get; } = new();

    public TempDirectory Directory { get; } = new();

    private protected GroupCoordinatorOptions Options { get; set; } = new()
    {
        MinSessionTimeout = TimeSpan.FromSeconds(1),
        MaxSessionTimeout = TimeSpan.FromMinutes(5),
        InitialRebalanceDelay = InitialDelay,
    };

    private protected GroupCoordinator Coordinator { get; private set; } = null!;

    private protected string OffsetsDirectory => Path.Combine(Directory.Path, "__consumer_offsets");

    private protected string OffsetsFile => Path.Combine(OffsetsDirectory, "offsets.log");

    public async Task InitializeAsync() => Coordinator = await OpenAsync();

    public async Task DisposeAsync()
    {
        await Coordinator.DisposeAsync();
        Directory.Dispose();
    }

    private protected Task<GroupCoordinator> OpenAsync() =>
        GroupCoordinator.OpenAsync(OffsetsDirectory, Options, Time, NullLogger.Instance, CancellationToken.None);

    /// <summary>
    /// Closes the coordinator and opens a new one on the same directory, as a broker restart does;
    /// <paramref name="whileClosed"/> may meddle with the files in between, as a crash would.
    /// </summary>
    private protected async Task ReopenAsync(Action? whileClosed = null)
    {
        await Coordinator.DisposeAsync();
        whileClosed?.Invoke();
        Coordinator = await OpenAsync();
    }

    private protected static Task<T> Completed<T>(Task<T> task) => task.WaitAsync(Deadline);

    private protected static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private protected static string Text(ReadOnlyMemory<byte> bytes) => Encoding.UTF8.GetString(bytes.Span);

    private protected static JoinGroupCall JoinRequest(
        string groupId,
        string memberId = "",
        string clientId = "consumer",
        string? groupInstanceId = null,
        string protocolType = "consumer",
        IReadOnlyList<JoinGroupProtocol>? protocols = null,
        TimeSpan? sessionTimeout = null,
        bool requireKnownMemberId = false) =>
        new(
            groupId,
            memberId,
            groupInstanceId,
            protocolType,
            protocols ?? [new JoinGroupProtocol("range", Bytes($"subscription of {clientId}"))],
            sessionTimeout ?? SessionTimeout,
            RebalanceTimeout,
            clientId,
            "/127.0.0.1",
            requireKnownMemberId);

    private protected Task<JoinGroupResult> JoinAsync(JoinGroupCall request) => Coordinator.JoinGroupAsync(request, CancellationToken.None);

    private protected Task<SyncGroupResult> SyncAsync(string groupId, JoinGroupResult joined, params SyncGroupAssignment[] assignments) =>
        Coordinator.SyncGroupAsync(
            new SyncGroupCall(groupId, joined.GenerationId, joined.MemberId, null, joined.ProtocolType, joined.ProtocolName, assignments),
            CancellationToken.None);

    /// <summary>
    /// Brings up a stable group of <paramref name="clientIds"/>.Length members that joined together: the first rebalance's
    /// delay passes, the leader assigns <c>assignment of {clientId}</c> to each, and everyone syncs.
    /// </summary>
    private protected Task<JoinGroupResult[]> FormStableGroupAsync(string groupId, params string[] clientIds) =>
        FormStableGroupAsync(groupId, SessionTimeout, clientIds);

    /// <inheritdoc cref="FormStableGroupAsync(string, string[])"/>
    private protected async Task<JoinGroupResult[]> FormStableGroupAsync(string groupId, TimeSpan sessionTimeout, params string[] clientIds)
    {
        var joins = clientIds.Select(clientId => JoinAsync(JoinRequest(groupId, clientId: clientId, sessionTimeout: sessionTimeout))).ToArray();
        PassInitialRebalanceDelay();
        var joined = await Completed(Task.WhenAll(joins));
        Assert.All(joined, result => Assert.Equal(ErrorCode.None, result.Error));

        var leader = joined.Single(result => result.MemberId == result.LeaderId);
        var assignments = joined
            .Select((result, i) => new SyncGroupAssignment(result.MemberId, Bytes($"assignment of {clientIds[i]}")))
            .ToArray();
        var syncs = joined.Select(result => SyncAsync(groupId, result, result == leader ? assignments : [])).ToArray();
        var synced = await Completed(Task.WhenAll(syncs));
        for (var i = 0; i < synced.Length; i++)
        {
            Assert.Equal(ErrorCode.None, synced[i].Error);
            Assert.Equal($"assignment of {clientIds[i]}", Text(synced[i].Assignment));
        }
        return joined;
    }

    /// <summary>
    /// Lets the first rebalance of a new group end: its delay runs once, and once more because members joined during it
    /// (Kafka extends the delay while members keep arriving).
    /// </summary>
    private protected void PassInitialRebalanceDelay()
    {
        Time.Advance(InitialDelay);
        Time.Advance(InitialDelay);
    }

    private protected GroupState StateOf(string groupId) => Coordinator.DescribeGroups([groupId]).Single().State;
}
