namespace StreamingPipeline.Events.Generation;

/// <summary>One user's open visit: its identity is built once, so its events cost no allocation.</summary>
internal sealed class Session(string userId, byte[] key, int partition, string sessionId, int remaining, bool startedWithLogin)
{
    public string UserId { get; } = userId;

    public byte[] Key { get; } = key;

    public int Partition { get; } = partition;

    public string SessionId { get; } = sessionId;

    public int Remaining { get; set; } = remaining;

    public bool StartedWithLogin { get; } = startedWithLogin;

    public bool Started { get; set; }

    public EventType Last { get; set; }

    public int Product { get; set; }
}
