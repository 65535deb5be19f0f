namespace StreamingPipeline.Processing;

/// <summary>How a <see cref="StreamProcessor"/> instance connects, what it reads and writes, and how often it commits.</summary>
public sealed record ProcessingOptions
{
    /// <summary>Kafka bootstrap servers.</summary>
    public required string BootstrapServers { get; init; }

    /// <summary>The input topic.</summary>
    public string InputTopic { get; init; } = "input-user-events";

    /// <summary>The output topic; must have the input's partition count.</summary>
    public string OutputTopic { get; init; } = "output-user-events";

    /// <summary>The dead-letter topic.</summary>
    public string DlqTopic { get; init; } = "user-events-dlq";

    /// <summary>The consumer group of all instances of the job.</summary>
    public required string GroupId { get; init; }

    /// <summary>This instance's id; the transactional id is <c>&lt;group&gt;-&lt;instance&gt;</c>. Random when null.</summary>
    public string? InstanceId { get; init; }

    /// <summary>Root of the tasks' state directories (<c>&lt;root&gt;/&lt;group&gt;/&lt;partition&gt;</c>).</summary>
    public string StateDirectory { get; init; } = Path.Combine("data", "state");

    /// <summary>How long a transaction stays open at most before it is committed.</summary>
    public TimeSpan CommitInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Commit earlier once a transaction holds this many input records.</summary>
    public int MaxRecordsPerTransaction { get; init; } = 50_000;

    /// <summary>The consumer's group session timeout: how soon a dead or paused instance loses its partitions.</summary>
    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The producer's transaction timeout: how soon the broker aborts a dead instance's open transaction.</summary>
    public TimeSpan TransactionTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Timeout of each blocking client call (offsets, commit, abort, init).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Called when a transactional call outlives its timeout by a margin (a client hang, librdkafka issues 5456 and
    /// 5511); a process would exit so its supervisor restarts it. Null: only logged.
    /// </summary>
    public Action<string>? OnHungCall { get; init; }

    /// <summary>Extra librdkafka settings for the consumer, producer and admin clients (later wins).</summary>
    public IReadOnlyDictionary<string, string> ClientConfig { get; init; } = new Dictionary<string, string>();
}
