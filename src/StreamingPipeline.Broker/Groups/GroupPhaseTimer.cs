namespace StreamingPipeline.Broker.Groups;

/// <summary>
/// The one-shot timer of one rebalance phase of a <see cref="ClassicGroup"/> (the join phase or the sync phase). Its
/// callback runs under the group's lock, and not at all once the timer was replaced or cancelled or the group is dead.
/// </summary>
/// <remarks>Call <see cref="Schedule"/> and <see cref="Cancel"/> under the group's lock.</remarks>
internal sealed class GroupPhaseTimer(TimeProvider time, Lock groupLock, Func<bool> isGroupDead)
{
    private ITimer? _timer;
    // Bumped by every Schedule and Cancel, so a callback already on its way when that happened sees it is stale.
    private long _version;

    /// <summary>Replaces whatever was scheduled with <paramref name="onDue"/> after <paramref name="delay"/>.</summary>
    public void Schedule(TimeSpan delay, Action onDue)
    {
        Cancel();
        var version = _version;
        _timer = time.CreateTimer(_ => Fire(version, onDue), null, delay, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Cancels whatever was scheduled.</summary>
    public void Cancel()
    {
        _version++;
        _timer?.Dispose();
        _timer = null;
    }

    private void Fire(long version, Action onDue)
    {
        lock (groupLock)
        {
            if (version != _version || isGroupDead())
            {
                return;
            }
            Cancel();
            onDue();
        }
    }
}
