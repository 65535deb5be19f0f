namespace StreamingPipeline.Events.Generation;

/// <summary>
/// One open visit. A slot's instance is reused for the next session (<see cref="Start"/>) and the user's id and key
/// come from a per-user cache, so a new session costs one string (its id) rather than five objects.
/// </summary>
internal sealed class Session
{
    public string UserId { get; private set; } = "";

    public byte[] Key { get; private set; } = [];

    public int Partition { get; private set; }

    public string SessionId { get; private set; } = "";

    public int Remaining { get; set; }

    public bool StartedWithLogin { get; private set; }

    public bool Started { get; set; }

    public EventType Last { get; set; }

    public int Product { get; set; }

    public void Start(string userId, byte[] key, int partition, string sessionId, int length, bool startsWithLogin)
    {
        UserId = userId;
        Key = key;
        Partition = partition;
        SessionId = sessionId;
        Remaining = length;
        StartedWithLogin = startsWithLogin;
        Started = false;
        Last = EventType.PageView;
        Product = 0;
    }
}
